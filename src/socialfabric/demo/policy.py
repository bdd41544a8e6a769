"""The demo's social media policy, published by the admin and accepted by about 85 % of the
employees (the demo logins among them), so the insights criterion "policy accepted by 80 %"
reads a real figure and the staff page shows one. The acceptances are written in bulk with
their acts, like the rest of the demo (the service would make one transaction each)."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from socialfabric.activity import chain
from socialfabric.activity.models import Activity, ObjectType, Verb
from socialfabric.demo.generator import ADMIN_LOGIN, DEMO_LOGIN
from socialfabric.governance import services as governance
from socialfabric.governance.models import Acceptance
from socialfabric.org.models import Member, Stakeholder

SHARE = 0.85
TITLE = "Northwind social media policy"
BODY = """Northwind works in the open: with each other, with our customers, partners and suppliers.
These rules keep that safe for everyone.

1. **Be yourself, be respectful.** Write as you would speak in a meeting with the people you mention.
2. **Share what helps, not what is confidential.** Customer data, prices under negotiation, unreleased
   results and anything marked *internal* stay out of communities with external members.
3. **Say when you speak for yourself.** Only the people named in a community's purpose speak for Northwind there.
4. **Answer customers' questions** where they ask them, or say who will.
5. **Flag what breaks these rules** instead of arguing in the thread; moderators will look at it.

By accepting you agree to take part under these rules.
"""


@transaction.atomic
def publish_and_accept(seed: int = 1) -> tuple[int, int]:
    """(employees who accepted, active employees)."""
    admin = Member.objects.get(handle=ADMIN_LOGIN)
    policy = governance.publish(admin, title=TITLE, body=BODY)
    rng = random.Random(seed)
    employees = list(Member.objects.filter(is_active=True, stakeholder=Stakeholder.EMPLOYEE)
                     .order_by("id").values_list("id", "handle"))
    now = timezone.now()
    chosen = [(pid, now - timedelta(minutes=rng.randint(0, 60 * 24 * 14))) for pid, handle in employees
              if handle in (ADMIN_LOGIN, DEMO_LOGIN) or rng.random() < SHARE]
    Acceptance.objects.bulk_create([Acceptance(member_id=pid, policy=policy, accepted_at=at) for pid, at in chosen])
    chain.append_many([
        Activity(verb=Verb.ACCEPT_POLICY, actor_id=pid, object_type=ObjectType.POLICY, object_id=policy.id,
                 details={"version": policy.version}, created_at=at) for pid, at in chosen])
    return len(chosen), len(employees)
