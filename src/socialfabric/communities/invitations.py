"""Invitations by e-mail: an administrator invites anyone (employee or external stakeholder)
to the platform and to communities; a community's owner invites to the communities they own.

The link carries the invitation's id signed with the site's key (django.core.signing), so it
cannot be guessed or altered; it expires (INVITATION_DAYS) and works once. Accepting creates
the account with the invited name, kind and organisation, sets the password, and adds the
member to the invited communities — in one transaction, recorded in the activity stream.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from socialfabric import access, activity, mail
from socialfabric.activity.models import ObjectType, Verb
from socialfabric.communities import services as communities
from socialfabric.communities.models import Community, Invitation, Role
from socialfabric.errors import Conflict, Forbidden, InvalidInput, NotFound
from socialfabric.org.importing import ORGANISATION_REQUIRED, handle_base
from socialfabric.org.models import Member, Stakeholder
from socialfabric.validation import check_label, check_storable, parse_id

INVITATION_DAYS = 7
_SALT = "socialfabric.invitation"
_EXPIRED = "This invitation has expired or is not valid. Ask the person who invited you for a new one."


def link(invitation: Invitation, base_url: str) -> str:
    token = signing.dumps(invitation.id, salt=_SALT)
    return f"{base_url.rstrip('/')}/invitations/{token}/"


def _clean(email: object, name: object, stakeholder: object, organisation: object) -> tuple[str, str, str, str]:
    if not isinstance(email, str) or not email.strip():
        raise InvalidInput("Enter the e-mail address to invite.", field="email")
    email = Member.objects.normalize_email(check_storable(email.strip(), "email"))
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(f"'{email}' is not an e-mail address.", field="email") from None
    if not isinstance(name, str) or not name.strip() or len(name) > 150:
        raise InvalidInput("Enter the person's name (up to 150 characters).", field="name")
    check_label(name, "name")
    if stakeholder not in Stakeholder.values:
        raise InvalidInput(f"Stakeholder must be one of: {', '.join(Stakeholder.values)}.", field="stakeholder")
    if not isinstance(organisation, str) or len(organisation) > 150:
        raise InvalidInput("The organisation must be text of at most 150 characters.", field="organisation")
    if stakeholder in ORGANISATION_REQUIRED and not organisation.strip():
        raise InvalidInput("Customers, partners and suppliers are invited with their organisation.",
                           field="organisation")
    return email, " ".join(check_storable(name, "name").split()), str(stakeholder), organisation.strip()


@transaction.atomic
def invite(inviter: Member, *, email: object, name: object, stakeholder: object = Stakeholder.EMPLOYEE,
           organisation: object = "", community_ids: list | None = None, base_url: str | None = None) -> Invitation:
    email, name, stakeholder, organisation = _clean(email, name, stakeholder, organisation)
    wanted = list(Community.objects.filter(id__in=[int(c) for c in community_ids or [] if str(c).isdigit()]))
    if len(wanted) != len(set(community_ids or [])):
        raise InvalidInput("Choose communities from the list.", field="communities")
    if not access.can_administer_people(inviter):
        owned = set(communities.roles_of(inviter, [c.id for c in wanted]).items())
        if not wanted or any((c.id, Role.OWNER) not in owned for c in wanted):
            raise Forbidden("Administrators invite people; a community's owners invite to that community.",
                            field="communities")
    for c in wanted:
        if not c.admits(stakeholder):
            raise InvalidInput(f"{c.name} does not admit {Stakeholder(stakeholder).label.lower()}s.",
                               field="communities")
    if Member.objects.filter(email__iexact=email, is_active=True).exists():
        raise Conflict("Someone with this e-mail address is a member already: add them to the community directly.",
                       field="email")
    now = timezone.now()
    invitation = Invitation.objects.create(email=email, name=name, stakeholder=stakeholder, organisation=organisation,
                                           invited_by=inviter, created_at=now,
                                           expires_at=now + timedelta(days=INVITATION_DAYS))
    invitation.communities.set(wanted)
    activity.record(Verb.INVITE, inviter, object_type=ObjectType.INVITATION, object_id=invitation.id,
                    details={"stakeholder": stakeholder, "communities": [c.id for c in wanted]}, at=now)
    _send(invitation, inviter, wanted, base_url)
    return invitation


def _send(invitation: Invitation, inviter: Member, wanted: list[Community], base_url: str | None) -> None:
    mail.send(invitation.email, "invitation", {
        "invitation": invitation, "inviter": inviter, "communities": wanted, "days": INVITATION_DAYS,
        "external": invitation.stakeholder != Stakeholder.EMPLOYEE,
        "link": link(invitation, base_url or settings.SOCIALFABRIC_SITE_URL)})


def _pending_for_staff(admin: Member, invitation_id: object) -> Invitation:
    access.require_administers_people(admin)
    invitation = Invitation.objects.select_for_update().filter(
        id=parse_id(invitation_id, field="invitation", message="No such invitation.")).first()
    if invitation is None:
        raise NotFound("No such invitation.", field="invitation")
    if invitation.accepted_at is not None:
        raise Conflict("This invitation was accepted already.", field="invitation")
    if invitation.revoked_at is not None:
        raise Conflict("This invitation was withdrawn already.", field="invitation")
    return invitation


@transaction.atomic
def resend(admin: Member, invitation_id: object, base_url: str | None = None) -> Invitation:
    """Staff send an invitation again: a new invitation (new link, a full INVITATION_DAYS) with
    the same person, kind, organisation and communities; the old link stops working."""
    old = _pending_for_staff(admin, invitation_id)
    if Member.objects.filter(email__iexact=old.email, is_active=True).exists():
        raise Conflict("Someone with this e-mail address is a member already.", field="invitation")
    now = timezone.now()
    wanted = list(old.communities.all())
    Invitation.objects.filter(id=old.id).update(revoked_at=now)
    new = Invitation.objects.create(email=old.email, name=old.name, stakeholder=old.stakeholder,
                                    organisation=old.organisation, invited_by=admin, created_at=now,
                                    expires_at=now + timedelta(days=INVITATION_DAYS))
    new.communities.set(wanted)
    activity.record(Verb.INVITE, admin, object_type=ObjectType.INVITATION, object_id=new.id, at=now,
                    details={"stakeholder": new.stakeholder, "communities": [c.id for c in wanted],
                             "resend_of": old.id})
    _send(new, admin, wanted, base_url)
    return new


@transaction.atomic
def revoke(admin: Member, invitation_id: object) -> Invitation:
    """Staff withdraw an invitation not yet accepted: its link stops working at once."""
    invitation = _pending_for_staff(admin, invitation_id)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    activity.record(Verb.REVOKE_INVITATION, admin, object_type=ObjectType.INVITATION, object_id=invitation.id,
                    at=invitation.revoked_at)
    return invitation


INVITATION_STATUSES = ("pending", "accepted", "expired", "withdrawn")


def _statuses() -> dict[str, Q]:
    """Each status as a condition (Invitation.status is the same answer for one row)."""
    now = timezone.now()
    waiting = Q(accepted_at__isnull=True, revoked_at__isnull=True)
    return {"pending": waiting & Q(expires_at__gte=now), "accepted": Q(accepted_at__isnull=False),
            "expired": waiting & Q(expires_at__lt=now),
            "withdrawn": Q(accepted_at__isnull=True, revoked_at__isnull=False)}


def for_staff(admin: Member, status: object = None) -> QuerySet[Invitation]:
    """Invitations, newest first, for the staff pages; narrowed by status."""
    access.require_administers_people(admin)
    qs = Invitation.objects.select_related("invited_by", "member").prefetch_related("communities")
    if status not in (None, ""):
        if status not in INVITATION_STATUSES:
            raise InvalidInput(f"Status must be one of: {', '.join(INVITATION_STATUSES)}.", field="status")
        qs = qs.filter(_statuses()[str(status)])
    return qs.order_by("-created_at", "-id")


def counts_for_staff(admin: Member) -> dict[str, int]:
    """How many invitations there are in each status (the staff landing page), in one statement."""
    access.require_administers_people(admin)
    return Invitation.objects.aggregate(**{status: Count("id", filter=q) for status, q in _statuses().items()})


def get_open(token: object) -> Invitation:
    """The invitation a link names, while it can still be accepted."""
    if not isinstance(token, str) or len(token) > 200:
        raise NotFound(_EXPIRED, field="token")
    try:
        invitation_id = signing.loads(token, salt=_SALT, max_age=timedelta(days=INVITATION_DAYS))
    except signing.BadSignature:
        raise NotFound(_EXPIRED, field="token") from None
    invitation = Invitation.objects.filter(id=invitation_id).first()
    if invitation is None or invitation.expires_at < timezone.now() or invitation.revoked_at is not None:
        raise NotFound(_EXPIRED, field="token")
    if invitation.accepted_at is not None:
        raise Conflict("This invitation was accepted already: sign in with the password you chose.", field="token")
    return invitation


def invitable_communities(inviter: Member) -> list[Community]:
    """The communities `inviter` may invite to: all for administrators, owned ones otherwise."""
    if access.can_administer_people(inviter):
        return list(Community.objects.order_by("name"))
    return [m.community for m in communities.owned_by(inviter)]


def _handle(email: str, name: str) -> str:
    base = handle_base(email, name)
    handle, n = base, 1
    while Member.objects.filter(handle=handle).exists():
        n += 1
        handle = f"{base}{n}"
    return handle


@transaction.atomic
def accept(token: object, *, password1: object, password2: object) -> Member:
    invitation = get_open(token)
    invitation = Invitation.objects.select_for_update().get(id=invitation.id)  # one acceptance, even when raced
    if invitation.accepted_at is not None:
        raise Conflict("This invitation was accepted already: sign in with the password you chose.", field="token")
    if not isinstance(password1, str) or not password1 or password1 != password2:
        raise InvalidInput("Enter the same password twice.", field="password2")
    if Member.objects.filter(email__iexact=invitation.email, is_active=True).exists():
        raise Conflict("Someone with this e-mail address is a member already: sign in instead.", field="token")
    member = Member(handle=_handle(invitation.email, invitation.name), email=invitation.email, name=invitation.name,
                    stakeholder=invitation.stakeholder, organisation=invitation.organisation)
    try:
        validate_password(password1, member)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="password1") from None
    member.set_password(password1)
    member.save()
    now = timezone.now()
    invitation.accepted_at, invitation.member = now, member
    invitation.save(update_fields=["accepted_at", "member"])
    activity.record(Verb.ACCEPT_INVITATION, member, object_type=ObjectType.INVITATION, object_id=invitation.id,
                    target=invitation.invited_by_id, at=now)
    for community in invitation.communities.all():
        communities.join_by_invitation(member, community, invitation.id)
    return member
