"""One way to answer with a file, for the web page and the API alike.

Images (and their previews) are shown inline; every other file downloads
(`Content-Disposition: attachment`), so a PDF's scripts or an HTML-looking text never run in
the site's origin. `nosniff` keeps the browser to the type judged from the content, and a
sandboxing Content-Security-Policy covers whatever a browser would still render. The address
of a file never changes its bytes (their hash is in the storage name), so the browser may keep
it, privately: access is checked on every request that reaches the server.
"""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response

from socialfabric.attachments.models import Attachment

CACHE_CONTROL = "private, max-age=31536000, immutable"
SANDBOX = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def response(request: HttpRequest, found: Attachment, opened, *, preview: bool = False) -> HttpResponse:
    etag = f'"{found.key}{"-p" if preview else ""}"'
    unchanged = get_conditional_response(request, etag=etag)
    if unchanged is not None:
        opened.close()
        answer = unchanged
    elif preview:
        answer = FileResponse(opened, content_type="image/webp", as_attachment=False,
                              filename=f"{found.name.rpartition('.')[0] or found.name}.webp")
    else:
        content_type = found.content_type + ("; charset=utf-8" if found.content_type.startswith("text/") else "")
        answer = FileResponse(opened, content_type=content_type, as_attachment=not found.is_image,
                              filename=found.name)
    answer["ETag"] = etag
    answer["Cache-Control"] = CACHE_CONTROL
    answer["X-Content-Type-Options"] = "nosniff"
    answer["Content-Security-Policy"] = SANDBOX
    return answer
