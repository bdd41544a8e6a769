"""People's data rights (docs/governance.md, "People's data rights").

"Download my data": a member asks, a background job writes a ZIP of JSON files (profile,
posts, replies, reactions, follows, memberships, acceptances) with only what they wrote or
chose, and the page offers it through a signed link until it expires.

Erasure: an administrator turns a person into a pseudonymous former member. The row stays
(so every thread keeps its shape, every count and every insights figure its value): its
name, handle, e-mail, biography, photo, expertise, follows, tokens, sessions and
notifications go; the formal facts the figures are made of (stakeholder kind, unit, level,
reporting line) stay, visible to nobody, as an inactive member is. Their text is removed or
kept, as the administrator chooses. A legal hold on the person, or on a community where they
wrote, refuses it.

Retention's "anonymise the authors" signs a person's old posts with their pseudonym: an
inactive "Former member" of the same stakeholder kind, one per person.
"""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.db import transaction
from django.http import FileResponse
from django.utils import timezone
from django_tasks import task

from socialfabric import access, activity
from socialfabric.activity.models import ObjectType, Verb
from socialfabric.communities.models import JoinRequest, Membership
from socialfabric.conversations import services as conversations
from socialfabric.conversations.models import Post, Reaction
from socialfabric.errors import Conflict, NotFound
from socialfabric.governance.models import Acceptance, DataExport, Erasure, Flag, LegalHold, Pseudonym
from socialfabric.org import photos
from socialfabric.org.models import AccessToken, Expertise, Follow, Member
from socialfabric.validation import parse_id

FORMER_NAME = "Former member"
_SALT = "socialfabric.governance.data-export"


def is_former(member: Member) -> bool:
    return Erasure.objects.filter(member_id=member.id).exists()


def _new_handles(count: int) -> list[str]:
    """`count` unused handles for former members (48 random bits each)."""
    handles: set[str] = set()
    while len(handles) < count:
        drawn = {f"former-{secrets.token_hex(6)}" for _ in range(count - len(handles))}
        handles |= drawn - set(Member.objects.filter(handle__in=drawn).values_list("handle", flat=True))
    return sorted(handles)


# --- pseudonyms (retention's "anonymise the authors") ----------------------------------------

def _aliases_for(authors: dict[int, str]) -> dict[int, int]:
    """person id -> the id of their pseudonym, for these authors (id -> stakeholder kind); the
    missing ones made in three bulk inserts (a first run meets thousands of authors)."""
    found = dict(Pseudonym.objects.filter(person_id__in=authors).values_list("person_id", "alias_id"))
    missing = [a for a in authors if a not in found]
    if not missing:
        return found
    aliases = Member.objects.bulk_create([
        Member(handle=h, name=FORMER_NAME, stakeholder=authors[person], is_active=False, password=make_password(None))
        for person, h in zip(missing, _new_handles(len(missing)), strict=True)])
    Erasure.objects.bulk_create([Erasure(member_id=a.id, erased_by=None, text_kept=True) for a in aliases])
    Pseudonym.objects.bulk_create([Pseudonym(person_id=person, alias_id=a.id)
                                   for person, a in zip(missing, aliases, strict=True)])
    return found | {person: a.id for person, a in zip(missing, aliases, strict=True)}


@transaction.atomic
def anonymise(post_ids: list[int], *, reason: str) -> int:
    """Sign these posts with their authors' pseudonyms (authors erased or pseudonyms already
    are left as they are); one ANONYMISE act a post, naming the author it no longer shows.
    How many changed."""
    if not post_ids:
        return 0
    formers = Erasure.objects.values("member_id")
    rows = list(Post.objects.filter(id__in=post_ids).exclude(author_id__in=formers)
                .values_list("id", "author_id", "author__stakeholder", "community_id"))
    by_author: dict[int, list[int]] = defaultdict(list)
    for post_id, author_id, _, _ in rows:
        by_author[author_id].append(post_id)
    aliases = _aliases_for({author_id: stakeholder for _, author_id, stakeholder, _ in rows})
    for author_id, ids in by_author.items():
        Post.objects.filter(id__in=ids).update(author_id=aliases[author_id])
    now = timezone.now()
    for post_id, author_id, _, community_id in rows:
        activity.record(Verb.ANONYMISE, None, object_type=ObjectType.POST, object_id=post_id, target=author_id,
                        community_id=community_id, details={"by": reason}, at=now)
    return len(rows)


# --- erasure -------------------------------------------------------------------------------------

# Who keeps people's handles in stores of their own, told of an erasure in its transaction
# (old handle, new): the insights' stored reports. The analytics register here (insights'
# AppConfig.ready); the domain never imports them.
_HANDLE_KEEPERS: list[Callable[[str, str], object]] = []


def on_erase(forget: Callable[[str, str], object]) -> None:
    if forget not in _HANDLE_KEEPERS:
        _HANDLE_KEEPERS.append(forget)


def _require_not_held(member: Member) -> None:
    holds = LegalHold.objects.filter(lifted_at__isnull=True)
    if holds.filter(member=member).exists():
        raise Conflict("A legal hold applies to this person: nothing of theirs is erased until it is lifted.",
                       field="member")
    where = holds.filter(community__posts__author=member).values_list("community__name", flat=True).first()
    if where:
        raise Conflict(f"A legal hold on {where} covers posts this person wrote: erasure waits until it is lifted.",
                       field="member")


def erase(admin: Member, member: Member, *, keep_text: bool = False) -> Erasure:
    """Turn `member` into a pseudonymous former member (see the module's docstring)."""
    from socialfabric.org.services import _stored_sessions_of

    access.require_may_deactivate(admin, member)  # staff; not oneself; a superuser only by one
    keep = keep_text is True
    if is_former(member):
        raise Conflict("This person was erased already.", field="member")
    _require_not_held(member)
    return _erase(admin, member, keep, _stored_sessions_of(member))


@transaction.atomic
def _erase(admin: Member, member: Member, keep: bool, sessions: list[str]) -> Erasure:
    from socialfabric.notifications.models import CommunityWatch, Digest, Notification, Preference, TopicWatch
    from socialfabric.org.services import _end_sessions

    member = Member.objects.select_for_update().get(id=member.id)
    if Erasure.objects.filter(member=member).exists():
        raise Conflict("This person was erased already.", field="member")
    _require_not_held(member)  # again, inside the transaction: a hold placed meanwhile wins
    photo, old_handle, [new_handle] = member.photo, member.handle, _new_handles(1)
    # Every write before the first act (the stream's append lock is taken last: docs/architecture.md).
    Member.objects.filter(id=member.id).update(
        handle=new_handle, name=FORMER_NAME, email="", bio="", photo="", external_id=None, organisation="",
        is_active=False, is_staff=False, is_superuser=False, is_analyst=False, is_compliance_officer=False,
        password=make_password(None), last_login=None)  # an unusable password
    member.refresh_from_db()
    member.groups.clear()
    member.user_permissions.clear()
    Expertise.objects.filter(member=member).delete()
    Follow.objects.filter(follower=member).delete()
    Follow.objects.filter(followed=member).delete()
    AccessToken.objects.filter(member=member).delete()
    JoinRequest.objects.filter(member=member).delete()
    Pseudonym.objects.filter(person=member).delete()
    for forget in _HANDLE_KEEPERS:  # stores above the domain that name people by handle (insights' reports)
        forget(old_handle, new_handle)
    Notification.objects.filter(recipient=member).delete()
    for model in (Preference, Digest, CommunityWatch, TopicWatch):
        model.objects.filter(member=member).delete()
    exports = list(DataExport.objects.filter(member=member).values_list("id", flat=True))
    DataExport.objects.filter(member=member).delete()
    _end_sessions(sessions)
    posts = list(Post.objects.filter(author=member).values_list("id", flat=True))
    removed = 0
    if not keep:
        Flag.objects.filter(member=member).update(text="")
        removed, _ = conversations.expire(posts, reason="erasure")
    erasure = Erasure.objects.create(member=member, erased_by=admin, text_kept=keep, posts=len(posts),
                                     removed=removed)
    activity.record(Verb.ERASE, admin, object_type=ObjectType.MEMBER, object_id=member.id, target=member,
                    details={"text_kept": keep, "posts": len(posts), "removed": removed})

    def delete_files() -> None:
        if photo:
            photos.delete(member.id, photo)
        for ident in exports:
            _export_path(ident).unlink(missing_ok=True)

    transaction.on_commit(delete_files)
    return erasure


def erasure_of(member: Member) -> Erasure | None:
    return Erasure.objects.filter(member=member).first()


# --- download my data ----------------------------------------------------------------------------

def _export_path(export_id: int) -> Path:
    return Path(settings.SOCIALFABRIC_EXPORTS_ROOT) / f"{int(export_id)}.zip"


def _require_signed_in(member: Member) -> None:
    if not (member.is_authenticated and member.is_active):
        raise NotFound("No such export.", field=None)


def exports(member: Member, limit: int = 5) -> list[DataExport]:
    _require_signed_in(member)
    return list(DataExport.objects.filter(member=member)[:limit])


def offers(member: Member) -> list[tuple[DataExport, str | None]]:
    """The member's latest exports, each with its download token while it may be downloaded."""
    now = timezone.now()
    return [(e, download_token(e) if e.state == DataExport.State.READY and e.expires_at > now else None)
            for e in exports(member)]


@transaction.atomic
def request_export(member: Member) -> DataExport:
    """Ask for a copy of one's data; the job builds it. One at a time."""
    _require_signed_in(member)
    Member.objects.select_for_update().filter(id=member.id).first()  # two clicks make one export
    if DataExport.objects.filter(member=member, state=DataExport.State.QUEUED).exists():
        raise Conflict("Your data is being prepared already; it will be on this page shortly.", field=None)
    export = DataExport.objects.create(member=member)
    activity.record(Verb.EXPORT_DATA, member, object_type=ObjectType.DATA_EXPORT, object_id=export.id)
    build_export.enqueue(export.id)
    return export


def download_token(export: DataExport) -> str:
    return signing.dumps(export.id, salt=_SALT)


def download(member: Member, token: object) -> tuple[DataExport, Path]:
    """The export a signed link names, if it is the member's, ready and not expired: else
    NotFound (a stranger's link, an expired one and a forged one all read the same)."""
    _require_signed_in(member)
    try:
        ident = signing.loads(str(token), salt=_SALT, max_age=timedelta(days=settings.SOCIALFABRIC_EXPORT_DAYS))
    except signing.BadSignature:
        raise NotFound("This link is not valid any more; ask for a new copy of your data.", field=None) from None
    export = DataExport.objects.filter(id=parse_id(ident, field=None, message="No such export."), member=member,
                                       state=DataExport.State.READY, expires_at__gt=timezone.now()).first()
    path = _export_path(export.id) if export else None
    if export is None or not path.exists():
        raise NotFound("This link is not valid any more; ask for a new copy of your data.", field=None)
    return export, path


def download_response(member: Member, token: object) -> FileResponse:
    """One way to answer with the ZIP, for the page and the API alike (NotFound: see download)."""
    _, path = download(member, token)
    response = FileResponse(path.open("rb"), as_attachment=True, content_type="application/zip",
                            filename=f"socialfabric-{member.handle}-{timezone.now():%Y-%m-%d}.zip")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def expire_exports(now=None) -> int:
    """Delete the files of exports past their time (the daily retention job calls this)."""
    now = now or timezone.now()
    done = 0
    for export in DataExport.objects.filter(state=DataExport.State.READY, expires_at__lte=now):
        _export_path(export.id).unlink(missing_ok=True)
        DataExport.objects.filter(id=export.id).update(state=DataExport.State.EXPIRED)
        done += 1
    return done


@task()
def build_export(export_id: int) -> None:
    export = DataExport.objects.select_related("member").filter(id=export_id).first()
    if export is None or export.state != DataExport.State.QUEUED:
        return
    expire_exports()
    try:
        counts, size = _write_zip(export)
    except Exception:
        DataExport.objects.filter(id=export.id).update(state=DataExport.State.FAILED)
        raise
    now = timezone.now()
    DataExport.objects.filter(id=export.id).update(
        state=DataExport.State.READY, ready_at=now, expires_at=now + timedelta(days=settings.SOCIALFABRIC_EXPORT_DAYS),
        size=size, counts=counts)


def _time(value) -> str | None:
    return value.isoformat() if value else None


def collect(member: Member) -> dict[str, object]:
    """Everything of the member's that goes into the ZIP, file name -> data. Only what they
    wrote or chose: others' posts appear as ids (a reply's parent, a reaction's post), never as text."""
    mine = Post.objects.filter(author=member).select_related("community").prefetch_related("topics").order_by("id")
    sees_structure = access.sees_structure(member)
    profile = {
        "handle": member.handle, "name": member.name, "email": member.email, "bio": member.bio,
        "stakeholder": member.stakeholder, "organisation": member.organisation,
        "unit": member.unit.name if member.unit_id and sees_structure else None,
        "level": member.level if sees_structure else None,
        "manager": member.manager.handle if member.manager_id and sees_structure else None,
        "expertise": [e.name for e in member.expertise.all()],
        "roles": [role for role, flag in access.STAFF_ROLES.items() if getattr(member, flag)],
        "joined_at": _time(member.date_joined), "last_sign_in": _time(member.last_login),
        "photo": "photo.webp" if member.photo else None,
    }

    def post(p: Post) -> dict[str, object]:
        row = {"id": p.id, "community": p.community.slug, "created_at": _time(p.created_at),
               "edited_at": _time(p.edited_at), "state": p.state, "removed": p.is_removed, "body": p.body}
        if p.parent_id is None:
            row |= {"kind": p.kind, "title": p.title, "topics": [t.name for t in p.topics.all()]}
        else:
            row |= {"thread": p.root_id, "parent": p.parent_id}
        return row

    visible = Member.objects.visible_to(member)
    return {
        "profile.json": profile,
        "posts.json": [post(p) for p in mine if p.parent_id is None],
        "replies.json": [post(p) for p in mine if p.parent_id is not None],
        "reactions.json": [{"post": r.post_id, "kind": r.kind, "created_at": _time(r.created_at)}
                           for r in Reaction.objects.filter(member=member).order_by("id")],
        "follows.json": {
            "following": [{"handle": f.followed.handle, "since": _time(f.created_at)} for f in
                          Follow.objects.filter(follower=member, followed__in=visible).select_related("followed")],
            "followers": [{"handle": f.follower.handle, "since": _time(f.created_at)} for f in
                          Follow.objects.filter(followed=member, follower__in=visible).select_related("follower")],
        },
        "memberships.json": [{"community": m.community.slug, "name": m.community.name, "role": m.role,
                              "joined_at": _time(m.joined_at)}
                             for m in Membership.objects.filter(member=member).select_related("community")],
        "acceptances.json": [{"policy": a.policy.title, "version": a.policy.version,
                              "community": a.policy.community.slug if a.policy.community_id else None,
                              "accepted_at": _time(a.accepted_at)}
                             for a in Acceptance.objects.filter(member=member)
                             .select_related("policy", "policy__community").order_by("accepted_at")],
    }


_README = """Your data from Social Fabric, as of {when}.

profile.json      who you are on the platform
posts.json        the posts you wrote (removed ones without their text)
replies.json      your replies; "thread" and "parent" are the ids of the posts you answered
reactions.json    your reactions; "post" is the id of the post
follows.json      whom you follow, and who follows you
memberships.json  your communities and your role in each
acceptances.json  the policies and guidelines you accepted
photo.webp        your photo, if you have one
"""


def _write_zip(export: DataExport) -> tuple[dict[str, int], int]:
    data = collect(export.member)
    target = _export_path(export.id)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".part", delete=False) as part:
        with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("README.txt", _README.format(when=timezone.now().strftime("%Y-%m-%d %H:%M UTC")))
            for name, content in data.items():
                archive.writestr(name, json.dumps(content, ensure_ascii=False, indent=2))
            member = export.member
            if member.photo:
                found = photos.open_thumbnail(member.id, member.photo, photos.LARGE)
                if found is not None:
                    with found:
                        archive.writestr("photo.webp", found.read())
    shutil.move(part.name, target)
    counts = {name: len(value) for name, value in data.items() if isinstance(value, list)}
    return counts, target.stat().st_size
