"""Files on posts: served here, after the read policy, never from a public folder."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from socialfabric.attachments import services as attachments
from socialfabric.attachments import serving
from socialfabric.web.views.plumbing import member_view


@require_safe
@member_view
def attachment(request: HttpRequest, attachment_id: int, name: str = "") -> HttpResponse:
    """The file itself (the name in the address is for people; the id decides)."""
    found, opened = attachments.open_file(request.user, attachment_id)
    return serving.response(request, found, opened)


@require_safe
@member_view
def attachment_preview(request: HttpRequest, attachment_id: int) -> HttpResponse:
    found, opened = attachments.open_file(request.user, attachment_id, preview=True)
    return serving.response(request, found, opened, preview=True)
