"""Policies people accept: the organisation's policy and communities' guidelines, versioned.

Publishing a version and accepting one are acts (recorded in the stream, `publish_policy` and
`accept_policy`). Whether a member must accept before acting is the read policy's business
(`access.policies_to_accept`, asked by posting, replying and reacting); this module keeps the
texts and the acceptances and gives the insights their figure.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Max, Q

from socialfabric import access, activity
from socialfabric.activity.models import ObjectType, Verb
from socialfabric.communities.models import Community
from socialfabric.conversations.services import clean_body, clean_title
from socialfabric.conversations.text import render
from socialfabric.errors import Conflict, Forbidden, InvalidInput, NotFound
from socialfabric.governance.models import Acceptance, Policy
from socialfabric.org.models import Member, Stakeholder
from socialfabric.validation import parse_id


def current(community: Community | None = None) -> Policy | None:
    """The newest version of the organisation's policy (or of a community's guidelines)."""
    return Policy.objects.filter(community=community).order_by("-version").first()


def versions(community: Community | None = None) -> list[Policy]:
    return list(Policy.objects.filter(community=community).order_by("-version"))


def get(member: Member, policy_id: object) -> Policy:
    """A version: the organisation's to everyone signed in; guidelines to who may see the community."""
    ident = parse_id(policy_id, field="policy", message="No such policy.")
    found = Policy.objects.select_related("community").filter(id=ident).first()
    if found is None or (found.community is not None and not access.can_see_community(member, found.community)):
        raise NotFound("No such policy.", field="policy")
    return found


def accepted_at(member: Member, policy: Policy):
    """When the member accepted this version, or None."""
    return Acceptance.objects.filter(member=member, policy=policy).values_list("accepted_at", flat=True).first()


def to_accept(member: Member, community: Community | None = None) -> list[Policy]:
    return access.policies_to_accept(member, community)


@transaction.atomic
def publish(member: Member, *, title: object, body: object, requires_acceptance: object = True,
            community: Community | None = None) -> Policy:
    """A new version: of the organisation's policy by staff, of a community's guidelines by its
    owners (and staff)."""
    if community is None and not member.is_staff:
        raise Forbidden("Only staff publish the organisation's policy.", field="policy")
    if community is not None and not access.can_manage_roles(member, community):
        raise Forbidden("Only the community's owners publish its guidelines.", field="community")
    if not isinstance(requires_acceptance, bool):
        raise InvalidInput("requires_acceptance must be true or false.", field="requires_acceptance")
    title = clean_title(title)
    if not title:
        raise InvalidInput("The title must not be empty.", field="title")
    body = clean_body(body)
    # The scope's rows are locked by the insert's unique constraint: a concurrent publish of
    # the same version fails and is told to try again rather than overwriting this one.
    version = (Policy.objects.filter(community=community).aggregate(v=Max("version"))["v"] or 0) + 1
    try:
        with transaction.atomic():
            policy = Policy.objects.create(community=community, version=version, title=title, body=body,
                                           body_html=render(body), requires_acceptance=requires_acceptance,
                                           published_by=member)
    except IntegrityError:
        raise Conflict("Another version was published at the same moment; reload and try again.",
                       field="policy") from None
    activity.record(Verb.PUBLISH_POLICY, member, object_type=ObjectType.POLICY, object_id=policy.id,
                    community_id=community.id if community else None,
                    details={"version": version, "requires_acceptance": requires_acceptance})
    return policy


@transaction.atomic
def accept(member: Member, policy_id: object) -> tuple[Acceptance, bool]:
    """Accept the newest version of a policy; idempotent (True when newly accepted)."""
    policy = get(member, policy_id)
    newest = current(policy.community)
    if newest is not None and newest.id != policy.id:
        raise Conflict(f"Version {newest.version} replaced this one; read and accept that.", field="policy")
    existing = Acceptance.objects.filter(member=member, policy=policy).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            made = Acceptance.objects.create(member=member, policy=policy)
    except IntegrityError:  # a second click at the same moment
        return Acceptance.objects.get(member=member, policy=policy), False
    activity.record(Verb.ACCEPT_POLICY, member, object_type=ObjectType.POLICY, object_id=policy.id,
                    community_id=policy.community_id, details={"version": policy.version}, at=made.accepted_at)
    return made, True


def acceptance_share(community: Community | None = None) -> float | None:
    """The share of active employees who accepted the organisation's policy in force (None:
    nothing published, or no employee). The insights criterion "policy accepted by 80 %"."""
    binding = (Policy.objects.filter(community=community, requires_acceptance=True)
               .aggregate(v=Max("version"))["v"])
    if binding is None:
        return None
    employees = Member.objects.filter(is_active=True, stakeholder=Stakeholder.EMPLOYEE)
    total = employees.count()
    if not total:
        return None
    accepted = employees.filter(id__in=Acceptance.objects.filter(
        Q(policy__community=community) if community else Q(policy__community__isnull=True),
        policy__version__gte=binding).values("member_id")).count()
    return accepted / total


def policy_url(policy: Policy) -> str:
    from django.urls import reverse

    if policy.community_id is None:
        return reverse("web:policy")
    return reverse("web:community_guidelines", args=[policy.community.slug])


