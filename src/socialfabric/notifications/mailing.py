"""Notification e-mail: at once for the kinds a member chose, and the daily or weekly digest.

Both are background jobs (Django's Tasks API); both check the read policy when they run, not
only when the notification was made. Every message carries a one-click unsubscribe for its
kind (RFC 8058: `List-Unsubscribe` with an https link and `List-Unsubscribe-Post`), a signed
link that works without signing in.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from socialfabric import access, jobs, mail
from socialfabric.conversations.models import Post
from socialfabric.notifications import services
from socialfabric.notifications.models import DEFAULT_FREQUENCY, Channel, Digest, Frequency, Kind, Notification
from socialfabric.org.models import Member

DIGEST_CHECK = timedelta(hours=1)
PERIODS = {Frequency.DAILY: timedelta(days=1), Frequency.WEEKLY: timedelta(days=7)}
DIGEST_THREADS = 5


def site() -> str:
    return str(getattr(settings, "SOCIALFABRIC_SITE_URL", "http://127.0.0.1:8000")).rstrip("/")


def target_url(n: Notification) -> str:
    """Where a notification leads: the thread at the reply, or the community."""
    if n.post_id:
        root = n.post.root_id or n.post_id
        url = reverse("web:post", args=[root])
        return url if root == n.post_id else f"{url}#post-{n.post_id}"
    if n.community_id:
        return reverse("web:community", args=[n.community.slug])
    return reverse("web:notifications")


def _unsubscribe_headers(member: Member, kind: str) -> tuple[str, dict[str, str]]:
    url = site() + reverse("web:unsubscribe", args=[services.unsubscribe_token(member, kind)])
    return url, {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def maybe_mail_now(n: Notification) -> None:
    """Queue the e-mail of a fresh notification when its recipient wants this kind at once."""
    if services.channel_of(n.recipient_id, n.kind) == Channel.EMAIL and n.recipient.email:
        mail_now.enqueue(n.id)


@task()
def mail_now(notification_id: int) -> None:
    """Send one notification by e-mail, once, if its recipient may still read what it is about."""
    with transaction.atomic():
        n = Notification.objects.select_for_update().filter(id=notification_id, emailed_at__isnull=True).first()
        if n is None:
            return  # sent already (a retried job), or gone
        recipient = n.recipient
        shown = (Notification.objects.filter(id=n.id).filter(access.readable_notifications(recipient))
                 .select_related("actor", "post", "post__root", "community").first())
        if shown is None or not recipient.is_active:
            return
        url, headers = _unsubscribe_headers(recipient, n.kind)
        mail.send(recipient.email, "notification",
                  {"n": shown, "text": services.describe(shown), "member": recipient,
                   "link": site() + target_url(shown), "unsubscribe": url, "kind_label": Kind(n.kind).label,
                   "site": site()}, headers=headers)
        Notification.objects.filter(id=n.id).update(emailed_at=timezone.now())


# --- the digest ---------------------------------------------------------------------------------

def digest_for(member: Member, since) -> dict:
    """What a member's digest holds: their unread notifications (as the bell shows them), the most
    reacted threads and the unanswered questions of their communities since `since`."""
    unread = list(services.visible(member).filter(read_at__isnull=True).order_by("-updated_at")[:20])
    for n in unread:
        n.text = services.describe(n)
    mine = list(access.member_community_ids(member))
    threads = Post.objects.visible_to(member).filter(community_id__in=mine, parent__isnull=True,
                                                     deleted_at__isnull=True, created_at__gte=since)
    popular = list(threads.annotate(n=Count("reactions")).filter(n__gt=0).order_by("-n", "-id")
                   .select_related("community", "author")[:DIGEST_THREADS])
    unanswered = list(threads.filter(kind="question", reply_count=0).exclude(author=member)
                      .order_by("-created_at").select_related("community", "author")[:DIGEST_THREADS])
    return {"unread": unread, "popular": popular, "unanswered": unanswered}


def send_digest(member: Member, now=None) -> bool:
    """Queue one member's digest if it holds anything; True when queued."""
    now = now or timezone.now()
    row, _ = Digest.objects.get_or_create(member_id=member.id, defaults={"frequency": DEFAULT_FREQUENCY})
    period = PERIODS.get(row.frequency)
    if period is None or not member.email:
        return False
    since = row.last_sent_at or now - period
    content = digest_for(member, since)
    with transaction.atomic():
        Digest.objects.filter(member_id=member.id).update(last_sent_at=now)
        if not any(content.values()):
            return False
        url, headers = _unsubscribe_headers(member, services.DIGEST_KIND)
        links = {n.id: site() + target_url(n) for n in content["unread"]}
        mail.send(member.email, "digest", {**content, "member": member, "links": links, "site": site(),
                                           "unsubscribe": url, "frequency": Frequency(row.frequency).label.lower()},
                  headers=headers)
    return True


def due(now=None) -> list[Member]:
    """Active members whose digest is due (never sent, or a period since the last)."""
    now = now or timezone.now()
    out = []
    chosen = {d.member_id: d for d in Digest.objects.all()}
    for member in Member.objects.filter(is_active=True).exclude(email="").order_by("id"):
        row = chosen.get(member.id)
        frequency = row.frequency if row else DEFAULT_FREQUENCY
        period = PERIODS.get(frequency)
        if period is None:
            continue
        if row is None or row.last_sent_at is None or row.last_sent_at <= now - period + DIGEST_CHECK / 2:
            out.append(member)
    return out


def send_due_digests(now=None) -> int:
    now = now or timezone.now()
    return sum(send_digest(m, now) for m in due(now))


@task()
def digests() -> None:
    """The hourly chain: send the digests that are due, then look again in an hour."""
    send_due_digests()
    _schedule_next(timezone.now() + DIGEST_CHECK)


def _schedule_next(when) -> None:
    if not getattr(settings, "SOCIALFABRIC_DIGESTS", True):
        return
    if not jobs.waiting(digests):
        digests.using(run_after=when).enqueue()


def start_digests() -> None:
    """Worker start hook: the digest chain runs from the next hour on, unless one waits already."""
    _schedule_next(timezone.now() + DIGEST_CHECK)

