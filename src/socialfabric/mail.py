"""E-mail: every message is rendered at once and sent by a background job, retried on failure.

`send(to, template, context)` renders `mail/<template>_subject.txt`, `_body.txt` and `_body.html`
and enqueues the job in the caller's transaction: the message exists exactly when the act
that wants it does, and a slow or failing mail server never holds up a page.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone
from django_tasks import task

log = logging.getLogger(__name__)

ATTEMPTS = 5
BACKOFF = timedelta(minutes=1)  # 1, 2, 4, 8 minutes between attempts


def render(template: str, context: dict) -> tuple[str, str, str]:
    """(subject, text, html) of a message."""
    subject = " ".join(render_to_string(f"mail/{template}_subject.txt", context).split())
    return (subject, render_to_string(f"mail/{template}_body.txt", context),
            render_to_string(f"mail/{template}_body.html", context))


def send(to: str, template: str, context: dict, headers: dict[str, str] | None = None) -> None:
    subject, text, html = render(template, context)
    deliver.enqueue(to, subject, text, html, headers=headers or {})


@task()
def deliver(to: str, subject: str, text: str, html: str, attempt: int = 1, headers: dict | None = None) -> None:
    """Send one message; on a failure try again later (up to ATTEMPTS), then give up loudly."""
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to], headers=headers or None)
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception:
        if attempt >= ATTEMPTS:
            log.exception("giving up sending %r to %s after %d attempts", subject, to, attempt)
            raise
        wait = BACKOFF * 2 ** (attempt - 1)
        log.warning("sending %r to %s failed (attempt %d); again in %s", subject, to, attempt, wait)
        deliver.using(run_after=timezone.now() + wait).enqueue(to, subject, text, html, attempt + 1,
                                                               headers=headers or {})
