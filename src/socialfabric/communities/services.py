"""Creating communities and managing who belongs to them."""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.text import slugify

from socialfabric import access, activity
from socialfabric.activity.models import Activity, ObjectType, Verb
from socialfabric.communities.models import Audience, Community, JoinRequest, Membership, Role, Visibility
from socialfabric.errors import Conflict, Forbidden, InvalidInput, NotFound
from socialfabric.org.models import EXTERNAL_KINDS, Member
from socialfabric.validation import check_label, check_storable, parse_id


def _choice(value: object, choices: type, field: str) -> str:
    if value not in choices.values:
        raise InvalidInput(f"{field.capitalize()} must be one of: {', '.join(choices.values)}.", field=field)
    return value  # type: ignore[return-value]


@transaction.atomic
def create_community(member: Member, *, name: object, purpose: object = "", visibility: object = "open",
                     audience: object = "internal", external_kinds: object = None, slug: object = None) -> Community:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("The name must not be empty.", field="name")
    name = " ".join(check_label(name, "name").split())
    if len(name) > 120:
        raise InvalidInput("The name is longer than 120 characters.", field="name")
    if not isinstance(purpose, str) or len(purpose) > 2000:
        raise InvalidInput("The purpose must be text of at most 2000 characters.", field="purpose")
    check_storable(purpose, "purpose")
    if slug is not None and not isinstance(slug, str):
        raise InvalidInput("The address must be text.", field="slug")
    visibility = _choice(visibility, Visibility, "visibility")
    audience = _choice(audience, Audience, "audience")
    kinds = external_kinds or []
    if not isinstance(kinds, list) or any(k not in EXTERNAL_KINDS for k in kinds):
        raise InvalidInput(f"External kinds must be a list drawn from: {', '.join(sorted(EXTERNAL_KINDS))}.",
                           field="external_kinds")
    if audience == Audience.INTERNAL and kinds:
        raise InvalidInput("An internal community admits no external stakeholders.", field="external_kinds")
    if audience == Audience.MIXED and not kinds:
        raise InvalidInput("A mixed community lists the external stakeholder kinds it admits.", field="external_kinds")
    if not access.can_create_community(member):
        raise Forbidden("Only employees create communities.", field=None)
    slug = slugify(slug if isinstance(slug, str) and slug else name)[:140]
    if not slug:
        raise InvalidInput("The name needs at least one letter or digit.", field="name")
    taken = Community.objects.filter(slug=slug).first()
    if taken is not None:
        if access.can_see_community(member, taken):
            raise Conflict(f"A community with the address '{slug}' exists already.", field="slug")
        # Taken by a community this member may not know of (a secret one): answering "exists"
        # would tell them it does. The new community gets an address of its own instead.
        slug = f"{slug[:133]}-{secrets.token_hex(3)}"
    try:
        with transaction.atomic():  # a concurrent create with the same slug loses here, not with a 500
            community = Community.objects.create(
                name=name, slug=slug, purpose=purpose.strip(), visibility=visibility, audience=audience,
                external_kinds=sorted(set(kinds)), created_by=member, member_count=1)
    except IntegrityError:
        raise Conflict(f"A community with the address '{slug}' exists already.", field="slug") from None
    Membership.objects.create(community=community, member=member, role=Role.OWNER)
    activity.record(Verb.CREATE_COMMUNITY, member, object_type=ObjectType.COMMUNITY, object_id=community.id,
                    community_id=community.id, details={"visibility": visibility, "audience": audience},
                    at=community.created_at)
    access.forget(member)
    return community


def _add(community: Community, member: Member, role: str = Role.MEMBER) -> Membership:
    try:
        with transaction.atomic():
            membership = Membership.objects.create(community=community, member=member, role=role)
    except IntegrityError:
        raise Conflict("Already a member of this community.", field="community") from None
    Community.objects.filter(id=community.id).update(member_count=F("member_count") + 1)
    access.forget(member)
    return membership


@transaction.atomic
def join(member: Member, community: Community) -> Membership:
    """Join an open community the member's stakeholder kind is admitted to."""
    if not access.can_see_community(member, community):
        raise NotFound("No such community.", field="community")
    if access.is_member(member, community):
        raise Conflict("Already a member of this community.", field="community")
    if not community.admits(member.stakeholder):
        raise Forbidden("This community's audience does not include your stakeholder kind.", field="community")
    if community.visibility != Visibility.OPEN and not member.is_staff:
        raise Forbidden("This community is closed: ask to join and a moderator will decide.", field="community")
    membership = _add(community, member)
    activity.record(Verb.JOIN, member, object_type=ObjectType.COMMUNITY, object_id=community.id,
                    community_id=community.id, at=membership.joined_at)
    return membership


@transaction.atomic
def leave(member: Member, community: Community) -> None:
    membership = Membership.objects.filter(community=community, member=member).first()
    if membership is None:
        if not access.can_see_community(member, community):
            raise NotFound("No such community.", field="community")
        raise Conflict("Not a member of this community.", field="community")
    if membership.role == Role.OWNER and not _another_owner(community, membership):
        raise Conflict(f"You are the last owner of this community: {HAND_OVER}.", field="community")
    membership.delete()
    Community.objects.filter(id=community.id).update(member_count=F("member_count") - 1)
    activity.record(Verb.LEAVE, member, object_type=ObjectType.COMMUNITY, object_id=community.id,
                    community_id=community.id)
    access.forget(member)


@transaction.atomic
def join_by_invitation(member: Member, community: Community, invitation_id: int) -> Membership:
    """Join a community one was invited to (any visibility: the invitation was the approval)."""
    if not community.admits(member.stakeholder):
        raise Forbidden("This community's audience does not include your stakeholder kind.", field="community")
    membership = _add(community, member)
    activity.record(Verb.JOIN, member, object_type=ObjectType.COMMUNITY, object_id=community.id,
                    community_id=community.id, details={"invitation": invitation_id}, at=membership.joined_at)
    return membership


@transaction.atomic
def request_to_join(member: Member, community: Community, message: object = "") -> JoinRequest:
    if not access.can_see_community(member, community):
        raise NotFound("No such community.", field="community")
    if access.is_member(member, community):
        raise Conflict("Already a member of this community.", field="community")
    if not community.admits(member.stakeholder):
        raise Forbidden("This community's audience does not include your stakeholder kind.", field="community")
    if community.visibility == Visibility.OPEN:
        raise InvalidInput("This community is open: join it directly.", field="community")
    if not isinstance(message, str) or len(message) > 500:
        raise InvalidInput("The message must be text of at most 500 characters.", field="message")
    check_storable(message, "message")
    if JoinRequest.objects.filter(community=community, member=member, status=JoinRequest.Status.PENDING).exists():
        raise Conflict("You have asked to join already; a moderator will decide.", field="community")
    try:
        with transaction.atomic():  # one_pending_request: a concurrent duplicate loses here, not with a 500
            req = JoinRequest.objects.create(community=community, member=member, message=message.strip())
    except IntegrityError:
        raise Conflict("You have asked to join already; a moderator will decide.", field="community") from None
    activity.record(Verb.REQUEST_JOIN, member, object_type=ObjectType.JOIN_REQUEST, object_id=req.id,
                    community_id=community.id, at=req.created_at)
    return req


@transaction.atomic
def decide_request(moderator: Member, request_id: int, *, approve: bool) -> JoinRequest:
    request_id = parse_id(request_id, field="request", message="No such request.")
    req = JoinRequest.objects.select_related("community", "member").filter(id=request_id).first()
    if req is None or not access.can_see_community(moderator, req.community):
        raise NotFound("No such request.", field="request")
    access.require_moderator(moderator, req.community)
    if req.status != JoinRequest.Status.PENDING:
        raise Conflict(f"This request was {req.status} already.", field="request")
    req.status = JoinRequest.Status.APPROVED if approve else JoinRequest.Status.REJECTED
    req.decided_at, req.decided_by = timezone.now(), moderator
    req.save(update_fields=["status", "decided_at", "decided_by"])
    if approve:
        _add(req.community, req.member)
    activity.record(Verb.APPROVE_JOIN if approve else Verb.REJECT_JOIN, moderator,
                    object_type=ObjectType.JOIN_REQUEST, object_id=req.id, target=req.member,
                    community_id=req.community_id, at=req.decided_at)
    return req


HAND_OVER = "hand ownership to someone first"


def _another_owner(community: Community, membership: Membership) -> bool:
    """Whether someone besides `membership` owns the community. The owners' rows are locked
    (PostgreSQL) so that two owners stepping down at once cannot leave none; SQLite's one
    writer serialises the acts anyway."""
    owners = Membership.objects.select_for_update().filter(community=community, role=Role.OWNER)
    return any(o.id != membership.id for o in owners)


@transaction.atomic
def add_member(moderator: Member, community: Community, member: Member, role: object = "member") -> Membership:
    """A moderator adds someone directly (the only way into a secret community); only an owner
    adds someone as a moderator or an owner."""
    access.require_moderator(moderator, community)
    role = _choice(role, Role, "role")
    access.require_may_add_with_role(moderator, community, role)
    if not community.admits(member.stakeholder):
        raise Forbidden("This community's audience does not include that member's stakeholder kind.", field="member")
    membership = _add(community, member, role)
    activity.record(Verb.ADD_MEMBER, moderator, object_type=ObjectType.COMMUNITY, object_id=community.id,
                    target=member, community_id=community.id, details={"role": role}, at=membership.joined_at)
    return membership


@transaction.atomic
def set_role(moderator: Member, community: Community, member: Member, role: object) -> Membership:
    """Only owners (and staff) grant or take away the moderator and owner roles; the last owner
    keeps theirs until someone else is owner."""
    access.require_moderator(moderator, community)
    role = _choice(role, Role, "role")
    membership = Membership.objects.filter(community=community, member=member).first()
    if membership is None:
        raise NotFound("That person is not a member of this community.", field="member")
    access.require_may_set_role(moderator, community, membership.role, role)
    if membership.role == Role.OWNER and role != Role.OWNER and not _another_owner(community, membership):
        raise Conflict(f"A community keeps at least one owner: {HAND_OVER}.", field="role")
    if membership.role == role:
        return membership
    activity.record(Verb.SET_ROLE, moderator, object_type=ObjectType.COMMUNITY, object_id=community.id,
                    target=member, community_id=community.id, details={"role": role, "was": membership.role})
    membership.role = role
    membership.save(update_fields=["role"])
    access.forget(member)
    return membership


@transaction.atomic
def remove_member(moderator: Member, community: Community, member: Member) -> None:
    """A moderator removes a plain member; moderators and owners are removed only by owners (or
    staff), and one owner always stays."""
    access.require_moderator(moderator, community)
    membership = Membership.objects.filter(community=community, member=member).first()
    if membership is None:
        raise NotFound("That person is not a member of this community.", field="member")
    access.require_may_remove_member(moderator, community, membership.role)
    if membership.role == Role.OWNER and not _another_owner(community, membership):
        raise Conflict(f"A community keeps at least one owner: {HAND_OVER}.", field="member")
    membership.delete()
    Community.objects.filter(id=community.id).update(member_count=F("member_count") - 1)
    activity.record(Verb.REMOVE_MEMBER, moderator, object_type=ObjectType.COMMUNITY, object_id=community.id,
                    target=member, community_id=community.id, details={"role": membership.role})
    access.forget(member)


def pending_requests(moderator: Member, community: Community):
    access.require_moderator(moderator, community)
    return JoinRequest.objects.filter(community=community, status=JoinRequest.Status.PENDING).select_related("member")


def members_of(viewer: Member, community: Community):
    """Who belongs to a community; listed to those who may read its posts."""
    access.require_readable(viewer, community)
    return Membership.objects.filter(community=community, member__is_active=True).select_related("member")


def owned_by(member: Member) -> QuerySet[Membership]:
    """The member's memberships as owner, with their communities, by community name."""
    return (Membership.objects.filter(member=member, role=Role.OWNER).select_related("community")
            .order_by("community__name"))


def roles_of(member: Member, community_ids: list[int]) -> dict[int, str]:
    """The member's role in each of these communities (absent where not a member): one query."""
    if not member.is_authenticated or not community_ids:
        return {}
    return dict(Membership.objects.filter(member=member, community_id__in=community_ids)
                .values_list("community_id", "role"))


# Reads for the web pages. Each answers one question a page asks, with the rule it needs.

def my_communities(member: Member) -> QuerySet[Community]:
    """The communities the member belongs to, by name."""
    return Community.objects.filter(id__in=access.member_community_ids(member)).order_by("name")


def listing(member: Member) -> tuple[list[Community], list[Community]]:
    """The communities the member may see, by name: (theirs, the others).

    Each carries `is_mine` and `is_pending` (asked to join, not yet decided).
    """
    mine_ids = access.member_community_ids(member)
    pending = pending_community_ids(member)
    visible = list(access.visible_communities(member).order_by("name"))
    for c in visible:
        c.is_mine, c.is_pending = c.id in mine_ids, c.id in pending
    return [c for c in visible if c.is_mine], [c for c in visible if not c.is_mine]


def pending_community_ids(member: Member) -> set[int]:
    """Communities the member has asked to join and no moderator has decided on yet."""
    if not member.is_authenticated:
        return set()
    return set(JoinRequest.objects.filter(member=member, status=JoinRequest.Status.PENDING)
               .values_list("community_id", flat=True))


def my_pending_request(member: Member, community: Community) -> JoinRequest | None:
    """The member's own undecided request to join this community, if any."""
    if not member.is_authenticated:
        return None
    return JoinRequest.objects.filter(community=community, member=member,
                                      status=JoinRequest.Status.PENDING).first()


def get_request(community: Community, request_id: object) -> JoinRequest:
    """A join request by id, NotFound unless it is a request to join `community`.

    A page acting on /communities/<slug>/requests/<id>/ must not decide another community's request.
    """
    request_id = parse_id(request_id, field="request", message="No such request.")
    req = JoinRequest.objects.filter(id=request_id, community=community).first()
    if req is None:
        raise NotFound("No such request.", field="request")
    return req


def stewards(viewer: Member, community: Community) -> QuerySet[Membership]:
    """The community's owners and moderators, by role, then name: whom to ask about it."""
    if not access.can_see_community(viewer, community):
        raise NotFound("No such community.", field="community")
    return (Membership.objects.filter(community=community, role__in=[Role.OWNER, Role.MODERATOR])
            .select_related("member").order_by("role", "member__name"))


def staff_overview(admin: Member) -> QuerySet[Community]:
    """Communities for the staff pages, with their owners, largest first: those staff may know
    exist (access.visible_communities_q: all of them, secret ones included)."""
    access.require_administers_people(admin)
    owners = Prefetch("memberships", queryset=Membership.objects.filter(role=Role.OWNER).select_related("member"),
                      to_attr="owners")
    # The last act in it (a post, a reply, a reaction, someone joining), from the stream's
    # per-community index: when it was, never what it was.
    last = Activity.objects.filter(community_id=OuterRef("pk")).order_by("-created_at").values("created_at")[:1]
    return (Community.objects.visible_to(admin).prefetch_related(owners).annotate(last_activity_at=Subquery(last))
            .order_by("-member_count", "name"))


def staff_counts(admin: Member) -> dict[str, int]:
    """How many communities staff may know exist, in all and by visibility (the staff landing page)."""
    access.require_administers_people(admin)
    return Community.objects.visible_to(admin).aggregate(
        all=Count("id"), **{kind: Count("id", filter=Q(visibility=kind)) for kind in Visibility.values})
