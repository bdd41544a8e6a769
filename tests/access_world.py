"""The organisation the access matrix (tests/test_access_matrix.py) is checked on.

Ten roles and six communities, one of each visibility (open, closed, secret) x audience
(internal, mixed: employees plus customers and partners). In every community the same things
exist, each carrying the community's tag in its text so that a page or a list can be searched
for it: a question by `member` with a reply by `moderator`, a topic used nowhere else, a
resident (an employee who belongs to that community only, with a photo), and in the closed
ones a pending request to join. Every role (and the newcomer) has a notification about each
place's question and, for the closed ones, about its request to join: made directly, as if each
had been told before losing access, so that the read policy alone must hide them.

Roles
- anonymous: not signed in.
- employee: an employee in no community. analyst: the same, with the analyst role.
- member, moderator, owner: employees with that role in all six communities.
- customer: an external member (Acme) of the three mixed communities.
- partner: an external (Globex) whom the mixed audience admits, in no community.
- supplier: an external (Initech) whom no audience admits.
- staff: an employee with the staff role, in no community.
- compliance: an employee compliance officer, in no community.

Governance (issue 11): in each community `member` also wrote a thread waiting for compliance
sign-off ("Pending <tag>") and one that `moderator` hid ("Hidden <tag>"); `resident` flagged the
question. Every role has a notification about each of the two, made directly, so that the read
policy alone must hide them: the pending one exists for its author, staff and compliance
officers who read there; the hidden one for its author and the community's moderators.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from socialfabric.attachments import services as attachments
from socialfabric.communities import invitations
from socialfabric.communities import services as communities
from socialfabric.communities.models import Community
from socialfabric.conversations import services as conv
from socialfabric.governance import moderation, signoff
from socialfabric.insights import services as insights
from socialfabric.org import services as org
from socialfabric.org.models import Member, Unit

ROLES = ("anonymous", "employee", "member", "moderator", "owner", "customer", "partner", "supplier", "analyst",
         "staff", "compliance")
# Community kinds, in the order of the table's columns: visibility x audience.
KINDS = ("open-internal", "open-mixed", "closed-internal", "closed-mixed", "secret-internal", "secret-mixed")
EXTERNALS = {"customer": "Acme Ltd", "partner": "Globex", "supplier": "Initech"}


@dataclass
class Place:
    """What exists in one community; `tag` is in the text of each, for finding it on a page."""

    kind: str
    community: Community
    question: int
    reply: int
    topic: str
    resident: Member
    request: int | None  # a pending join request (closed communities only)
    file: int = 0  # an image on the question
    pending: int = 0  # member's thread waiting for sign-off
    hidden: int = 0  # member's thread, hidden by moderator

    @property
    def tag(self) -> str:
        return self.kind.replace("-", "")


@dataclass
class World:
    people: dict[str, Member]
    places: dict[str, Place]
    newcomer: Member  # in no community: the one added in the "add a member" rows
    report: int  # a ready insights report
    invitation: int  # a pending invitation, for the staff rows
    foreign_token: int  # a token of someone none of the roles is
    policy: int = 0  # the organisation's policy, which every role accepted
    tokens: dict[str, str] = field(default_factory=dict)  # role -> a read+write token
    # (role, kind) -> the role's notification about that place's question; "-" -> the newcomer's
    notes: dict[tuple[str, str], int] = field(default_factory=dict)
    asks: dict[tuple[str, str], int] = field(default_factory=dict)  # the same, about its request to join
    held_notes: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (role, kind, pending|hidden)


def _photo() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 40), "teal").save(out, "PNG")
    return SimpleUploadedFile("me.png", out.getvalue(), content_type="image/png")


def build() -> World:
    unit = Unit.objects.create(name="Engineering", slug="engineering")

    def person(handle: str, *, stakeholder: str = "employee", **extra) -> Member:
        return Member.objects.create_user(
            handle, f"{handle}@example.org", "correct-horse-battery", name=handle.title(), stakeholder=stakeholder,
            unit=unit if stakeholder == "employee" else None, level=3 if stakeholder == "employee" else None, **extra)

    people = {role: person(role) for role in ("employee", "member", "moderator", "owner")}
    people["analyst"] = person("analyst", is_analyst=True)
    people["staff"] = person("staff", is_staff=True)
    people["compliance"] = person("compliance", is_compliance_officer=True)
    for kind, organisation in EXTERNALS.items():
        people[kind] = person(kind, stakeholder=kind, organisation=organisation)
    owner, newcomer = people["owner"], person("newcomer")

    places = {}
    for kind in KINDS:
        visibility, audience = kind.split("-")
        tag = kind.replace("-", "")
        c = communities.create_community(
            owner, name=f"Community {tag}", visibility=visibility, audience=audience,
            external_kinds=["customer", "partner"] if audience == "mixed" else [])
        communities.add_member(owner, c, people["moderator"], "moderator")
        communities.add_member(owner, c, people["member"], "member")
        if audience == "mixed":
            communities.add_member(owner, c, people["customer"], "member")
        resident = person(f"dweller{len(places) + 1}")  # no tag in the name: residents of secret places are seen
        communities.add_member(owner, c, resident, "member")
        org.update_profile(resident, photo=_photo())
        org.follow(resident, people["member"])  # member's follower count counts the residents one may see
        resident.refresh_from_db()
        question = conv.create_post(people["member"], c, kind="question", title=f"Question {tag}",
                                    body=f"Asked in {tag} #topic{tag}")
        reply = conv.create_reply(people["moderator"], question.id, body=f"Answer {tag}")
        [image] = attachments.attach(people["member"], question.id, [_photo()])
        request = None
        if visibility == "closed":
            request = communities.request_to_join(person(f"requester{tag}"), c, f"Let me into {tag}").id
        signoff.set_rule(owner, c, kinds=["employee"])
        pending = conv.create_post(people["member"], c, title=f"Pending {tag}", body=f"Waiting {tag}")
        signoff.set_rule(owner, c)  # lifted: the matrix's own writes go out at once
        hidden = conv.create_post(people["member"], c, title=f"Hidden {tag}", body=f"Concealed {tag}")
        moderation.moderate(people["moderator"], hidden.id, "hide")
        moderation.flag_post(resident, question.id, reason="off_topic", text="Not about this community")
        places[kind] = Place(kind, c, question.id, reply.id, f"topic{tag}", resident, request, image.id,
                             pending.id, hidden.id)

    people["analyst"].refresh_from_db()
    report = insights.request_report(people["analyst"], insights.parse_request(window="quarter"))
    insights.run_queue(1)
    invitation = invitations.invite(people["staff"], email="guest@example.org", name="Guest")
    foreign, _ = org.create_token(newcomer, "not yours")
    world = World(people, places, newcomer, report.id, invitation.id, foreign.id)
    for role, member in people.items():
        world.tokens[role] = org.create_token(member, "matrix")[1]
    from socialfabric.governance import services as governance

    world.policy = governance.publish(people["staff"], title="Policy", body="Be kind.").id
    for member in people.values():  # so that the rows about acting see the roles' rights alone
        governance.accept(member, world.policy)
    _notify(world)
    # The index's consumer runs after a commit, which a test's transaction never makes: index now.
    from socialfabric.search import index

    index.rebuild()
    return world


def _notify(world: World) -> None:
    from socialfabric.notifications.models import Kind, Notification

    seq = iter(range(10**9, 2 * 10**9))
    who = {**world.people, "-": world.newcomer}
    for kind, place in world.places.items():
        for role, member in who.items():
            n = Notification.objects.create(recipient=member, kind=Kind.MENTION, actor=world.people["moderator"],
                                            post_id=place.question, activity_id=next(seq))
            world.notes[(role, kind)] = n.id
            for what in ("pending", "hidden"):
                held = Notification.objects.create(recipient=member, kind=Kind.MENTION, actor=world.people["owner"],
                                                   post_id=getattr(place, what), activity_id=next(seq))
                world.held_notes[(role, kind, what)] = held.id
            if place.request is not None:
                ask = Notification.objects.create(recipient=member, kind=Kind.JOIN_REQUEST,
                                                  actor=world.people["moderator"], community=place.community,
                                                  activity_id=next(seq))
                world.asks[(role, kind)] = ask.id
