"""People's profiles, following people, and personal access tokens."""

from __future__ import annotations

import enum
import hashlib
import secrets
import unicodedata
from datetime import timedelta
from typing import BinaryIO

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from socialfabric import access, activity
from socialfabric.activity.models import Activity, ObjectType, Verb
from socialfabric.communities.models import Community
from socialfabric.errors import Conflict, InvalidInput, NotFound
from socialfabric.org import photos
from socialfabric.org.models import (
    MAX_BIO_CHARS,
    MAX_EXPERTISE,
    MAX_EXPERTISE_CHARS,
    MAX_NAME_CHARS,
    AccessToken,
    Expertise,
    Follow,
    Member,
    Stakeholder,
    TokenScope,
    Unit,
)
from socialfabric.validation import check_label, check_storable, is_storable, parse_id

TOKEN_PREFIX = "sf_"


def get_member(handle_or_id: str | int, viewer: Member | None = None) -> Member:
    """An active member by handle or id. Given a viewer, a member the viewer may not see (the
    external boundary, access.visible_members) is NotFound exactly like an unknown handle."""
    if isinstance(handle_or_id, int) and not isinstance(handle_or_id, bool):
        lookup: dict = {"id": parse_id(handle_or_id, field="member", message="No such member.")}
    elif isinstance(handle_or_id, str) and is_storable(handle_or_id):
        lookup = {"handle": handle_or_id.lower()}
    else:
        raise NotFound("No such member.", field="member")
    member = Member.objects.select_related("unit", "manager").filter(is_active=True, **lookup).first()
    if member is None or (viewer is not None and not access.can_see_member(viewer, member)):
        raise NotFound("No such member.", field="member")
    return member


# --- profiles -----------------------------------------------------------------------------

class Keep(enum.Enum):
    """A profile field left out of an update stays as it is (None means "no photo")."""

    KEEP = "keep"


KEEP = Keep.KEEP
# Besides letters and digits, an expertise tag may hold these: enough for "c++", "c#", ".net",
# "node.js", "ci/cd", "r&d", "supply chain"; not commas (the web form's separator), no
# control or direction-changing characters.
_EXPERTISE_MARKS = frozenset(" +#.-_/&'")


def _clean_name(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInput("The name must be text.", field="name")
    check_label(value, "name")
    name = " ".join(value.split())  # one line, single spaces: names appear in lists and mentions
    if not name or len(name) > MAX_NAME_CHARS:
        raise InvalidInput(f"Give your name (1 to {MAX_NAME_CHARS} characters).", field="name")
    return name


def _clean_bio(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInput("The bio must be text.", field="bio")
    check_storable(value, "bio")
    bio = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(bio) > MAX_BIO_CHARS:
        raise InvalidInput(f"The bio has {len(bio):,} characters; at most {MAX_BIO_CHARS:,} fit.", field="bio")
    return bio


def _expertise_tag(value: str) -> str:
    """One tag as stored and searched: compatibility-normalised, lower case, single spaces,
    without a leading # (people write tags as they write topics)."""
    check_storable(value, "expertise")
    tag = " ".join(unicodedata.normalize("NFKC", value).split()).lower().lstrip("#").strip()
    if len(tag) > MAX_EXPERTISE_CHARS:
        raise InvalidInput(f"“{tag[:MAX_EXPERTISE_CHARS]}…” is too long: an expertise tag has at most "
                           f"{MAX_EXPERTISE_CHARS} characters.", field="expertise")
    if any(not (ch.isalnum() or ch in _EXPERTISE_MARKS) for ch in tag):
        raise InvalidInput(f"“{tag}”: an expertise tag holds letters, digits, spaces and + # . - _ / & ' only.",
                           field="expertise")
    return tag


def _clean_expertise(value: object) -> list[str]:
    """Tags from a list (the API) or comma-separated text (the web form), without repeats, in order."""
    if isinstance(value, str):
        items = value.replace("\n", ",").split(",")
    elif isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        items = list(value)
    else:
        raise InvalidInput("Expertise must be a list of tags.", field="expertise")
    tags: list[str] = []
    for item in items:
        tag = _expertise_tag(item)
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_EXPERTISE:
        raise InvalidInput(f"At most {MAX_EXPERTISE} expertise tags; there are {len(tags)}.", field="expertise")
    return tags


def expertise_of(member: Member) -> list[str]:
    """A member's expertise tags, in the order they gave them."""
    return list(Expertise.objects.filter(member=member).order_by("position").values_list("name", flat=True))


def update_profile(member: Member, *, name: object = KEEP, bio: object = KEEP, expertise: object = KEEP,
                   photo: object = KEEP) -> list[str]:
    """A member edits their own profile. Each field left out (KEEP) stays as it is; `photo` is an
    uploaded file (checked and made into thumbnails by org.photos) or None to remove it.

    Returns the fields that changed; when none did, nothing is written or recorded. The act is
    recorded with the changed fields' names, never their content. A replaced photo's files are
    deleted once the change is committed.
    """
    changes: dict[str, object] = {}
    if name is not KEEP:
        changes["name"] = _clean_name(name)
    if bio is not KEEP:
        changes["bio"] = _clean_bio(bio)
    if expertise is not KEEP:
        changes["expertise"] = _clean_expertise(expertise)
    thumbnails = None
    if photo is not KEEP and photo is not None:
        # Decoding and resizing take a moment: done before the transaction, so the database
        # (SQLite's one writer) is not held while they run.
        thumbnails = photos.make_thumbnails(photo)
    if photo is not KEEP:
        changes["photo"] = thumbnails.key if thumbnails else ""
    if thumbnails:
        photos.store(member.id, thumbnails)  # on disk before any row names it (the same photo again: same files)
    try:
        changed, old_photo = _save_profile(member, changes)
    except BaseException:
        if thumbnails and thumbnails.key != member.photo:
            photos.delete(member.id, thumbnails.key)  # no row names these files
        raise
    if old_photo and "photo" in changed:
        member_id = member.id
        transaction.on_commit(lambda: photos.delete(member_id, old_photo))
    return changed


@transaction.atomic
def _save_profile(member: Member, changes: dict[str, object]) -> tuple[list[str], str]:
    """Write the checked changes that differ from the stored profile; (changed fields, old photo key)."""
    row = Member.objects.select_for_update().get(id=member.id)  # one edit at a time per member
    old_photo = row.photo
    changed = [f for f in ("name", "bio", "photo") if f in changes and getattr(row, f) != changes[f]]
    if "expertise" in changes and expertise_of(row) != changes["expertise"]:
        Expertise.objects.filter(member=row).delete()
        Expertise.objects.bulk_create([Expertise(member=row, name=tag, position=i)
                                       for i, tag in enumerate(changes["expertise"])])
        changed.append("expertise")
    if not changed:
        return [], old_photo
    fields = [f for f in changed if f != "expertise"]
    for f in fields:
        setattr(row, f, changes[f])
    if fields:
        row.save(update_fields=fields)
    activity.record(Verb.UPDATE_PROFILE, member, object_type=ObjectType.MEMBER, object_id=member.id,
                    details={"fields": changed})
    for f in fields:  # the caller's instance (request.user) shows the new profile at once
        setattr(member, f, changes[f])
    return changed, old_photo


def photo_file(viewer: Member, handle: object, size: object, key: object) -> BinaryIO:
    """A member's current photo at one size, opened for reading, for a viewer who may see the
    member. An old key, an unknown size, a member the viewer may not see: all NotFound alike."""
    missing = NotFound("No such photo.", field="photo")
    if not (isinstance(handle, str) and is_storable(handle) and photos.is_key(key) and size in photos.SIZES):
        raise missing
    member_id = (Member.objects.visible_to(viewer).filter(handle=handle.lower(), photo=key)
                 .values_list("id", flat=True).first())
    opened = photos.open_thumbnail(member_id, key, size) if member_id else None
    if opened is None:
        raise missing
    return opened


@transaction.atomic
def follow(follower: Member, followed: Member) -> Follow:
    if follower.id == followed.id:
        raise InvalidInput("You cannot follow yourself.", field="member")
    access.require_visible_member(follower, followed)
    try:
        with transaction.atomic():
            f = Follow.objects.create(follower=follower, followed=followed)
    except IntegrityError:
        raise Conflict("You follow this member already.", field="member") from None
    activity.record(Verb.FOLLOW, follower, object_type=ObjectType.MEMBER, object_id=followed.id, target=followed,
                    at=f.created_at)
    return f


@transaction.atomic
def unfollow(follower: Member, followed: Member) -> None:
    deleted, _ = Follow.objects.filter(follower=follower, followed=followed).delete()
    if not deleted:
        raise Conflict("You do not follow this member.", field="member")
    activity.record(Verb.UNFOLLOW, follower, object_type=ObjectType.MEMBER, object_id=followed.id, target=followed)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


TOKEN_DEFAULT_DAYS = 90
TOKEN_EXPIRY_CHOICES = (30, 90, 365, None)  # what the web form offers; None: never expires
TOKEN_MAX_DAYS = 3650


def _token_scopes(scopes: object) -> str:
    """Scopes as stored: "read" or "read write" (write includes read: a writer reads its answers)."""
    if isinstance(scopes, str):
        scopes = scopes.replace(",", " ").split()
    if not isinstance(scopes, list | tuple | set) or not scopes or not all(isinstance(s, str) for s in scopes):
        raise InvalidInput("Choose the token's scopes: read, or read and write.", field="scopes")
    unknown = sorted(set(scopes) - set(TokenScope.values))
    if unknown:
        raise InvalidInput(f"Unknown scope '{unknown[0]}': the scopes are read and write.", field="scopes")
    return "read write" if TokenScope.WRITE in scopes else "read"


def _token_expiry(expires_in_days: object, now):
    if expires_in_days is None:
        return None
    if isinstance(expires_in_days, str) and expires_in_days.strip().isdigit():
        expires_in_days = int(expires_in_days)
    if (not isinstance(expires_in_days, int) or isinstance(expires_in_days, bool)
            or not 1 <= expires_in_days <= TOKEN_MAX_DAYS):
        raise InvalidInput(f"A token expires in 1 to {TOKEN_MAX_DAYS} days, or never.", field="expires_in_days")
    return now + timedelta(days=expires_in_days)


@transaction.atomic
def create_token(member: Member, name: object, *, scopes: object = ("read", "write"),
                 expires_in_days: object = TOKEN_DEFAULT_DAYS,
                 by_token: AccessToken | None = None) -> tuple[AccessToken, str]:
    """A new token; the plain text is returned once and never stored.

    Tokens are made from an interactive session only: a caller authenticated by a token
    (`by_token`) is refused, so a leaked token cannot mint others that outlive its revocation.
    It expires in `expires_in_days` (default 90; None: never)."""
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise InvalidInput("Name the token (1 to 100 characters).", field="name")
    check_storable(name, "name")
    scopes = _token_scopes(scopes)
    now = timezone.now()
    expires_at = _token_expiry(expires_in_days, now)
    access.require_may_create_token(member, by_token)
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = AccessToken.objects.create(member=member, name=name.strip(), prefix=plain[:10], digest=_digest(plain),
                                       scopes=scopes, created_at=now, expires_at=expires_at)
    activity.record(Verb.CREATE_TOKEN, member, object_type=ObjectType.TOKEN, object_id=token.id,
                    details={"name": token.name, "prefix": token.prefix, "scopes": scopes,
                             "expires_at": expires_at.isoformat() if expires_at else None}, at=now)
    return token, plain


def find_token(plain: str) -> AccessToken | None:
    """The live token for this plain text (with its member), or None: unknown, revoked,
    expired, or its owner is inactive. Marks its last use (at most once a minute)."""
    if not plain or not isinstance(plain, str) or not plain.startswith(TOKEN_PREFIX):
        return None
    now = timezone.now()
    token = (AccessToken.objects.select_related("member")
             .filter(digest=_digest(plain), revoked_at__isnull=True)
             .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now)).first())
    if token is None or not token.member.is_active:
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        AccessToken.objects.filter(id=token.id).update(last_used_at=now)
    return token


def authenticate_token(plain: str) -> Member | None:
    token = find_token(plain)
    return None if token is None else token.member


def _revoke(actor: Member, token: AccessToken, **details: object) -> AccessToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        activity.record(Verb.REVOKE_TOKEN, actor, object_type=ObjectType.TOKEN, object_id=token.id,
                        target=None if token.member_id == actor.id else token.member,
                        details={"name": token.name, "prefix": token.prefix, **details}, at=token.revoked_at)
    return token


@transaction.atomic
def revoke_token(member: Member, token_id: int) -> AccessToken:
    token_id = parse_id(token_id, field="token", message="No such token.")
    token = AccessToken.objects.filter(id=token_id, member=member).first()
    if token is None:
        raise NotFound("No such token.", field="token")
    return _revoke(member, token)


@transaction.atomic
def revoke_token_as_admin(admin: Member, token_id: object) -> AccessToken:
    """Staff force a member's token off (a leaked or forgotten one); it stops working at once.
    Recorded as REVOKE_TOKEN by the admin, towards the owner, with {"by_admin": true}."""
    access.require_administers_people(admin)
    token_id = parse_id(token_id, field="token", message="No such token.")
    token = AccessToken.objects.select_related("member").filter(id=token_id).first()
    if token is None:
        raise NotFound("No such token.", field="token")
    access.require_may_revoke_tokens_of(admin, token.member)
    return _revoke(admin, token, by_admin=True)


@transaction.atomic
def signed_in(member: Member, *, via: str = "password") -> None:
    """Record a sign-in (called by Django's user_logged_in signal; see org.apps)."""
    activity.record(Verb.SIGN_IN, member, object_type=ObjectType.MEMBER, object_id=member.id, details={"via": via})


def _stored_sessions_of(member: Member) -> list[str]:
    """The keys of the stored sessions signed in as `member`.

    Django keeps no index from a person to their sessions, so every unexpired session is
    decoded (20,000 in about 0.2 s on SQLite and PostgreSQL): fine for an act this rare. With a
    session engine that stores nothing on the server (signed cookies, a bare cache) there is
    nothing to find; those sessions stay anonymous while the account is inactive, as before."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import SESSION_KEY

    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store_class, "get_model_class"):  # not a database-backed engine
        return []
    store, wanted = store_class(), str(member.pk)
    rows = (store_class.get_model_class().objects.filter(expire_date__gt=timezone.now())
            .values_list("session_key", "session_data"))
    return [key for key, data in rows.iterator(chunk_size=2000) if store.decode(data).get(SESSION_KEY) == wanted]


def _end_sessions(keys: list[str]) -> int:
    """Delete these stored sessions in the act's transaction; how many there were. A cached
    engine's copies are dropped once the act commits."""
    if not keys:
        return 0
    from importlib import import_module

    from django.conf import settings

    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    ended, _ = store_class.get_model_class().objects.filter(session_key__in=keys).delete()
    if hasattr(store_class, "cache_key_prefix"):  # cached_db: its cache would still answer for them

        def drop_cached() -> None:
            for key in keys:
                store_class().delete(key)

        transaction.on_commit(drop_cached)
    return ended


def deactivate(admin: Member, member: Member) -> Member:
    """An administrator ends an account: its stored sessions are deleted (so a later
    reactivation does not revive a session left open on some device) and every API token is
    revoked; its posts stay, signed with its name. The rules (not oneself, a superuser only by a
    superuser) are access.require_may_deactivate."""
    access.require_may_deactivate(admin, member)  # first: a refused caller costs no session scan
    # The sessions are found before the write transaction (on SQLite it holds the one write
    # lock from its start); one opened meanwhile is anonymous while the account is inactive,
    # and reactivate ends it.
    return _deactivate(admin, member, _stored_sessions_of(member))


@transaction.atomic
def _deactivate(admin: Member, member: Member, sessions: list[str]) -> Member:
    access.require_may_deactivate(admin, member)
    if not Member.objects.filter(id=member.id, is_active=True).exists():
        raise Conflict("This account is inactive already.", field="member")
    now = timezone.now()
    Member.objects.filter(id=member.id).update(is_active=False)
    revoked = AccessToken.objects.filter(member=member, revoked_at__isnull=True).update(revoked_at=now)
    ended = _end_sessions(sessions)
    activity.record(Verb.DEACTIVATE, admin, object_type=ObjectType.MEMBER, object_id=member.id, target=member,
                    details={"tokens_revoked": revoked, "sessions_ended": ended}, at=now)
    member.is_active = False
    return member


def reactivate(admin: Member, member: Member) -> Member:
    """An administrator lets a deactivated account sign in again, and nothing more: its API
    tokens stay revoked, and any session still stored for it (opened while it was being
    deactivated, or left by a deactivation before sessions were ended) is ended now, so the
    member signs in afresh (or sets a password through a link)."""
    access.require_administers_people(admin)
    if member.is_active:
        raise Conflict("This account is active already.", field="member")
    access.require_not_erased(member)
    # Inactive, the account cannot open a session: this list is complete.
    return _reactivate(admin, member, _stored_sessions_of(member))


@transaction.atomic
def _reactivate(admin: Member, member: Member, sessions: list[str]) -> Member:
    access.require_administers_people(admin)
    if not Member.objects.filter(id=member.id, is_active=False).exists():
        raise Conflict("This account is active already.", field="member")
    Member.objects.filter(id=member.id).update(is_active=True)
    _end_sessions(sessions)
    activity.record(Verb.REACTIVATE, admin, object_type=ObjectType.MEMBER, object_id=member.id, target=member)
    member.is_active = True
    return member


@transaction.atomic
def set_platform_role(admin: Member, member: Member, role: object, *, grant: bool) -> Member:
    """An administrator grants or revokes a platform role (analyst, staff); rules in access."""
    flag = access.require_may_change_role(admin, member, role, grant=grant)
    if grant:
        access.require_not_erased(member)
    row = Member.objects.select_for_update().get(id=member.id)
    if getattr(row, flag) == grant:
        state = "has that role already" if grant else "does not have that role"
        raise Conflict(f"{row.name or row.handle} {state}.", field="role")
    Member.objects.filter(id=member.id).update(**{flag: grant})
    activity.record(Verb.GRANT_ROLE if grant else Verb.REVOKE_ROLE, admin, object_type=ObjectType.MEMBER,
                    object_id=member.id, target=member, details={"role": role})
    setattr(member, flag, grant)
    return member


def send_set_password_link(admin: Member, member: Member, base_url: str) -> str:
    """An administrator e-mails a member a link to sign in: to set a first password when they
    have none (imported, or their first link expired), else to choose a new one (forgotten;
    their current password keeps working until the link is used). Returns which: "set_password"
    or "password_reset"."""
    access.require_administers_people(admin)
    if not member.is_active:
        raise Conflict("This account is deactivated: reactivate it first.", field="member")
    if not member.email:
        raise Conflict("This member has no e-mail address to send a link to.", field="member")
    if not member.has_usable_password():
        invite_to_set_password([member], base_url, actor=admin)
        return "set_password"
    _send_password_reset(admin, member, base_url)
    return "password_reset"


@transaction.atomic
def _send_password_reset(admin: Member, member: Member, base_url: str) -> None:
    _mail_password_link(member, base_url, setting=False, by_staff=True)
    activity.record(Verb.INVITE, admin, object_type=ObjectType.MEMBER, object_id=member.id, target=member,
                    details={"via": "password_reset"})


def _mail_password_link(member: Member, base_url: str, *, setting: bool, by_staff: bool = False) -> None:
    """Queue the e-mail with Django's password-reset link: it works once (its token covers the
    password hash and the last sign-in) and for PASSWORD_RESET_TIMEOUT."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from socialfabric import mail

    scheme, _, domain = base_url.rstrip("/").partition("://")
    mail.send(member.email, "password_reset", {
        "user": member, "uid": urlsafe_base64_encode(force_bytes(member.pk)),
        "token": default_token_generator.make_token(member), "protocol": scheme or "http",
        "domain": domain, "setting": setting, "by_staff": by_staff})


@transaction.atomic
def invite_to_set_password(members: list[Member], base_url: str, actor: Member | None = None) -> int:
    """E-mail each active member who has an address but no usable password (imported from the
    org chart) a link to set one; how many were sent. The link is Django's password-reset
    token: it works once, and stops working once a password is set."""
    sent = 0
    for member in members:
        if not member.is_active or not member.email or member.has_usable_password():
            continue
        _mail_password_link(member, base_url, setting=True)
        activity.record(Verb.INVITE, actor, object_type=ObjectType.MEMBER, object_id=member.id, target=member,
                        details={"via": "set_password"})
        sent += 1
    return sent


@transaction.atomic
def password_set(member: Member, *, via: str) -> None:
    """Record a new password ("change": knowing the old one; "reset": through an e-mailed link).
    The password itself is saved by Django's forms; sessions elsewhere end with it."""
    activity.record(Verb.SET_PASSWORD, member, object_type=ObjectType.MEMBER, object_id=member.id,
                    details={"via": via})


@transaction.atomic
def signed_out(member: Member) -> None:
    activity.record(Verb.SIGN_OUT, member, object_type=ObjectType.MEMBER, object_id=member.id)


# Listings for the API and the web pages. They return ordered-free querysets: callers page
# them with keyset cursors (socialfabric.paging).

def directory(viewer: Member, *, unit: object = None, stakeholder: object = None,
              q: object = None, expertise: object = None) -> QuerySet[Member]:
    """The members `viewer` may see, narrowed by unit slug, stakeholder kind, an expertise tag
    and a name or handle search."""
    qs = Member.objects.visible_to(viewer).select_related("unit")
    if unit not in (None, ""):
        if not access.sees_structure(viewer):  # whatever the unit: no oracle of the unit tree
            raise InvalidInput("Filtering by unit is for employees.", field="unit")
        if not isinstance(unit, str) or not is_storable(unit):
            raise InvalidInput("The unit must be a unit's address.", field="unit")
        qs = qs.filter(unit__slug=unit)
    if stakeholder not in (None, ""):
        if stakeholder not in Stakeholder.values:
            raise InvalidInput(f"Stakeholder must be one of: {', '.join(Stakeholder.values)}.", field="stakeholder")
        qs = qs.filter(stakeholder=stakeholder)
    if expertise not in (None, ""):
        if not isinstance(expertise, str):
            raise InvalidInput("The expertise must be one tag.", field="expertise")
        tag = _expertise_tag(expertise)  # "Python" and "#python" find "python"
        if tag:
            qs = qs.filter(expertise__name=tag)  # a member has a tag once: no duplicates
    if q not in (None, ""):
        if not isinstance(q, str) or not is_storable(q) or len(q) > 100:
            raise InvalidInput("The search must be text of at most 100 characters.", field="q")
        term = q.strip().lstrip("@")
        if term:
            qs = qs.filter(Q(name__icontains=term) | Q(handle__icontains=term))
    return qs


def _links_sent():
    """The set-password links sent to a member (by staff or by `import people --invite`), as
    the stream recorded them, newest first."""
    return Activity.objects.filter(verb=Verb.INVITE, object_type=ObjectType.MEMBER, target=OuterRef("pk"),
                                   details__via="set_password").order_by("-created_at")


_NO_PASSWORD = Q(is_active=True, password__startswith="!")  # Django's mark of an unusable password
PEOPLE_STATUSES = {
    "active": Q(is_active=True),
    # Deactivated, not erased: an erased person (a former member, docs/governance.md) is listed apart.
    "deactivated": Q(is_active=False, erasure__isnull=True),
    "erased": Q(erasure__isnull=False),
    "never_signed_in": Q(is_active=True, last_login__isnull=True),
    "no_password": _NO_PASSWORD,
    # Sent a link to set their first password and not used it yet: invited, pending.
    "invited": _NO_PASSWORD & Q(Exists(_links_sent())),
}


def staff_people(admin: Member, *, q: object = None, stakeholder: object = None, status: object = None,
                 role: object = None) -> QuerySet[Member]:
    """Every account, deactivated ones included, for the staff pages: searched by name, handle
    or e-mail and narrowed by kind, status and platform role."""
    access.require_administers_people(admin)
    # When the last set-password link went out: the page tells "never sent" from "sent, not used".
    qs = Member.objects.select_related("unit").annotate(
        link_sent_at=Subquery(_links_sent().values("created_at")[:1]))
    if stakeholder not in (None, ""):
        if stakeholder not in Stakeholder.values:
            raise InvalidInput(f"Stakeholder must be one of: {', '.join(Stakeholder.values)}.", field="stakeholder")
        qs = qs.filter(stakeholder=stakeholder)
    if status not in (None, ""):
        if status not in PEOPLE_STATUSES:
            raise InvalidInput(f"Status must be one of: {', '.join(PEOPLE_STATUSES)}.", field="status")
        qs = qs.filter(PEOPLE_STATUSES[status])
    if role not in (None, ""):
        if role not in access.STAFF_ROLES:
            raise InvalidInput(f"Role must be one of: {', '.join(access.STAFF_ROLES)}.", field="role")
        qs = qs.filter(**{access.STAFF_ROLES[role]: True})
    if q not in (None, ""):
        if not isinstance(q, str) or not is_storable(q) or len(q) > 100:
            raise InvalidInput("The search must be text of at most 100 characters.", field="q")
        term = q.strip().lstrip("@")
        if term:
            qs = qs.filter(Q(name__icontains=term) | Q(handle__icontains=term) | Q(email__icontains=term))
    return qs


def staff_member(admin: Member, handle: object) -> Member:
    """Any account by handle, deactivated ones included, for the staff pages."""
    access.require_administers_people(admin)
    member = None
    if isinstance(handle, str) and is_storable(handle):  # a NUL in the address: no such member, not a 500
        member = (Member.objects.select_related("unit", "manager")
                  .annotate(link_sent_at=Subquery(_links_sent().values("created_at")[:1]))
                  .filter(handle=handle.lower()).first())
    if member is None:
        raise NotFound("No such member.", field="handle")
    return member


def staff_counts(admin: Member) -> dict[str, int]:
    """How many accounts there are in all and in each of PEOPLE_STATUSES (the staff landing
    page), in one statement."""
    access.require_administers_people(admin)
    return Member.objects.aggregate(all=Count("id"), **{status: Count("id", filter=q)
                                                       for status, q in PEOPLE_STATUSES.items()})


def members_by_handle(handles: list[str]) -> list[Member]:
    return list(Member.objects.filter(handle__in=handles))


def members_with_email(email: str) -> list[Member]:
    """Active members with this e-mail address (any case), for password resets."""
    if not isinstance(email, str) or not is_storable(email):
        return []
    return list(Member.objects.filter(is_active=True, email__iexact=email.strip()).exclude(email=""))


def followers(member: Member, viewer: Member | None = None) -> QuerySet[Follow]:
    """Who follows `member`; given a viewer, only the followers the viewer may see."""
    qs = Follow.objects.filter(followed=member, follower__is_active=True).select_related("follower__unit")
    return qs if viewer is None else qs.filter(follower__in=Member.objects.visible_to(viewer))


def following(member: Member, viewer: Member | None = None) -> QuerySet[Follow]:
    """Whom `member` follows; given a viewer, only the members the viewer may see."""
    qs = Follow.objects.filter(follower=member, followed__is_active=True).select_related("followed__unit")
    return qs if viewer is None else qs.filter(followed__in=Member.objects.visible_to(viewer))


def is_following(follower: Member, followed: Member) -> bool:
    return Follow.objects.filter(follower=follower, followed=followed).exists()


def tokens(member: Member) -> QuerySet[AccessToken]:
    return AccessToken.objects.filter(member=member)


def staff_tokens(admin: Member, member: Member) -> QuerySet[AccessToken]:
    """A member's tokens, newest first, for the staff person page."""
    access.require_administers_people(admin)
    return AccessToken.objects.filter(member=member).order_by("-created_at", "-id")


def units(viewer: Member | None = None) -> QuerySet[Unit]:
    """The unit tree; none of it for a viewer who may not see the company's structure."""
    if viewer is not None and not access.sees_structure(viewer):
        return Unit.objects.none()
    return Unit.objects.select_related("parent")


def get_unit(slug: object, viewer: Member | None = None) -> Unit:
    """A unit by slug; NotFound (like an unknown slug) for a viewer who may not see the structure."""
    if viewer is not None:
        access.require_sees_structure(viewer)
    unit = None
    if isinstance(slug, str) and is_storable(slug):
        unit = Unit.objects.select_related("parent").filter(slug=slug).first()
    if unit is None:
        raise NotFound("No such unit.", field="unit")
    return unit


def follow_counts(member: Member, viewer: Member | None = None) -> tuple[int, int]:
    """(followers, following), counting active members only (given a viewer, those the viewer
    may see), as the lists above show them."""
    return followers(member, viewer).count(), following(member, viewer).count()


def reports_of(member: Member) -> QuerySet[Member]:
    """The active members who report to `member`, by name."""
    return Member.objects.filter(manager=member, is_active=True).order_by("name")


def unit_members(unit: Unit, *, first: int) -> tuple[list[Member], int]:
    """The first `first` active members of a unit, by level, then name, and how many there are in all."""
    members = Member.objects.filter(unit=unit, is_active=True)
    return list(members.order_by("level", "name")[:first]), members.count()


def unit_children(unit: Unit) -> QuerySet[Unit]:
    """The units directly under `unit`, by name."""
    return Unit.objects.filter(parent=unit).order_by("name")


def communities_of(viewer: Member, member: Member) -> QuerySet[Community]:
    """The communities `member` belongs to that `viewer` may know exist, by name (a profile's list)."""
    return access.visible_communities(viewer).filter(memberships__member=member).order_by("name")
