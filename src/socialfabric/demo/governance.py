"""The demo's moderation and compliance sign-off, made through the services (a few dozen acts,
so each is recorded and heard by the consumers like a real one): watched words, some flagged
replies in the moderation queue, and a customer-facing community whose customers' posts wait
for a compliance officer (the admin), with a few approved earlier (time to approval in the
insights) and a few waiting in the queue; retention rules longer than the demo's months (so
they remove nothing yet), a legal hold on a supplier-facing community, and one recorded run."""

from __future__ import annotations

import math
import random
from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from socialfabric import access
from socialfabric.communities.models import Community, Membership, Role
from socialfabric.conversations import services as conv
from socialfabric.conversations.models import Post
from socialfabric.demo.generator import ADMIN_LOGIN
from socialfabric.errors import DomainError
from socialfabric.governance import moderation, retention, signoff
from socialfabric.governance.models import Review
from socialfabric.org.models import Member, Stakeholder

WORDS = [("guaranteed returns", False, "flag", ""),
         (r"\b(?:password|passwd)\s*[:=]", True, "block", "Never post passwords; use the vault."),
         ("project nightingale", False, "hold", "")]
QUESTIONS = ["Can we get the service report for our site before Friday?",
             "Is the spare-parts price list for next year out yet?",
             "Our team would like a training session on the new release. Who do we ask?",
             "Can we visit the plant with two of our engineers next month?",
             "Is there a workaround for the alarm that fires after the update?",
             "Could you share the roadmap slides from the customer day?"]
REASONS = ["spam", "off_topic", "confidential", "harassment"]


def run(seed: int = 1) -> dict[str, int]:
    rng = random.Random(seed)
    admin = Member.objects.get(handle=ADMIN_LOGIN)
    admin.is_compliance_officer = True
    admin.save(update_fields=["is_compliance_officer"])
    for pattern, is_regex, action, reason in WORDS:
        moderation.add_watched_word(admin, pattern=pattern, is_regex=is_regex, action=action, reason=reason)
    flags = _flags(rng)
    approved, waiting = _sign_off(admin, rng)
    rules, holds = _retention(admin)
    return {"flags": flags, "approved": approved, "waiting": waiting, "rules": rules, "holds": holds}


def _retention(officer: Member) -> tuple[int, int]:
    """Rules in whole years, longer than the demo's oldest post is old (the demo's dates are
    fixed and the daily run uses today's): they show on the page and remove nothing."""
    oldest = Post.objects.order_by("created_at").values_list("created_at", flat=True).first() or timezone.now()
    years = math.ceil(((timezone.now() - oldest).days + 31) / 365)
    retention.set_retention_rule(officer, None, days=365 * (years + 1))
    rules = holds = 1
    lounge = Community.objects.filter(approval_rule__isnull=False).order_by("id").first()
    if lounge is not None:
        retention.set_retention_rule(officer, lounge, days=365 * years, action="anonymise")
        rules += 1
    suppliers = (Community.objects.filter(memberships__member__stakeholder=Stakeholder.SUPPLIER)
                 .annotate(n=Count("memberships")).order_by("-n", "id").first())
    if suppliers is not None:
        retention.place_hold(officer, community=suppliers, reason="Matter 2026-031: supplier contract dispute")
    else:
        holds = 0
    retention.run_retention(officer)
    return rules, holds


def _flags(rng: random.Random) -> int:
    """Readers flag a few recent replies in open communities."""
    replies = list(Post.objects.filter(parent__isnull=False, deleted_at__isnull=True, community__visibility="open")
                   .select_related("community").order_by("-created_at")[:200])
    rng.shuffle(replies)
    made = 0
    for reply in replies[:6]:
        readers = list(Membership.objects.filter(community=reply.community).exclude(member_id=reply.author_id)
                       .values_list("member_id", flat=True)[:50])
        for member_id in rng.sample(readers, min(len(readers), rng.randint(1, 2))):
            try:
                moderation.flag_post(Member.objects.get(id=member_id), reply.id, reason=rng.choice(REASONS),
                                     text="Looks out of place here")
                made += 1
            except DomainError:  # a reader who may not flag it: skip
                continue
    return made


def _sign_off(officer: Member, rng: random.Random) -> tuple[int, int]:
    """The mixed community with the most customers asks for approval of their posts."""
    lounge = (Community.objects.filter(audience="mixed", memberships__member__stakeholder=Stakeholder.CUSTOMER)
              .annotate(n=Count("memberships")).order_by("-n", "id").first())
    if lounge is None:
        return 0, 0
    owner = Membership.objects.filter(community=lounge, role=Role.OWNER).select_related("member").first()
    signoff.set_rule(owner.member if owner else officer, lounge, kinds=[Stakeholder.CUSTOMER])
    customers = list(Member.objects.filter(memberships__community=lounge, stakeholder=Stakeholder.CUSTOMER,
                                           is_active=True).order_by("id")[:len(QUESTIONS)])
    now = timezone.now()
    approved = waiting = 0
    for i, (customer, text) in enumerate(zip(customers, QUESTIONS, strict=False)):
        access.forget(customer)
        post = conv.create_post(customer, lounge, kind="question", body=text)
        if i < len(QUESTIONS) // 2:
            # Approved earlier: waited between one and thirty hours.
            Review.objects.filter(post=post).update(submitted_at=now - timedelta(hours=rng.uniform(1, 30)))
            signoff.approve(officer, post.id)
            approved += 1
        else:
            waiting += 1
    return approved, waiting
