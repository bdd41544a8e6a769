"""A plausible demo organisation, generated deterministically from a seed.

`generate(members=2000, seed=1)` builds a company ("Northwind") with a unit tree, five
levels, reporting lines, customers, partners and suppliers; about forty communities;
memberships and follows; and months of conversation: threads, replies to some depth,
questions (some from customers, some never answered, some with accepted answers),
reactions, mentions and topics. Every social act also gets its activity row, so the
insights see the same patterns a real network shows:

- most replies stay inside a unit; a few brokers carry talk across units;
- leaders (levels 1-2) post announcements but seldom reply;
- participation is heavy-tailed (a few members write most of it, many lurk);
- some customer questions stay unanswered.

Everything is drawn from `random.Random(seed)` (and a seeded numpy Generator) against a
fixed end date, so the same seed always gives the same data. Rows are built in memory and
written by `BulkWriter` (executemany on SQLite, COPY on PostgreSQL) inside one
transaction; denormalised fields (reply_count, last_activity_at, body_html) are computed
here rather than by the services, which would be far too slow for 50,000 posts.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

import numpy as np
from django.contrib.auth.hashers import make_password
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils.text import slugify

from socialfabric.activity import chain
from socialfabric.activity.models import Activity, ObjectType, Verb
from socialfabric.bulk import BulkWriter
from socialfabric.communities.models import Community, Membership, Role
from socialfabric.conversations.models import Post, Reaction, Topic
from socialfabric.conversations.text import render_segments
from socialfabric.demo.vocabulary import (
    A_BODIES,
    A_TITLES,
    ANNOUNCE_REACTION_CUM,
    ANSWERS,
    CLOSED_UNIT_ROOMS,
    CLOSERS,
    CUSTOMER_Q,
    D_TITLES,
    DETAILS,
    EXECUTIVES,
    EXTERNAL_SHARES,
    FIRST,
    LAST,
    OPENERS,
    ORGANISATIONS,
    Q_BODIES,
    Q_TITLES,
    REACTION_CUM,
    REACTION_KINDS,
    REPLIES,
    SUBJECTS,
    THEME_TOPICS,
    TOPICAL,
    UNITS,
)
from socialfabric.errors import Conflict, InvalidInput
from socialfabric.org.importing import handle_base
from socialfabric.org.models import Follow, Member, Stakeholder, Unit

DEMO_PASSWORD = "socialfabric"
DEMO_LOGIN = "alex"
ADMIN_LOGIN = "admin"
DEFAULT_END = datetime(2026, 6, 1, tzinfo=UTC)  # fixed, never now(): same seed, same data
COMPANY = "Northwind"
COMPANY_DOMAIN = "northwind.example"
MIN_MEMBERS = 100

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@cache
def demo_password_hash() -> str:
    """Hashed once per process: PBKDF2 is deliberately slow, and every demo login shares it."""
    return make_password(DEMO_PASSWORD)



# --- results -------------------------------------------------------------------------------


@dataclass
class DemoResult:
    members: int = 0
    units: int = 0
    communities: int = 0
    memberships: int = 0
    follows: int = 0
    threads: int = 0
    replies: int = 0
    reactions: int = 0
    mentions: int = 0
    accepted_answers: int = 0
    events: int = 0
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def posts(self) -> int:
        return self.threads + self.replies


def _pick(pop: Sequence[int], cum: Sequence[float], rng: random.Random) -> int:
    return pop[bisect.bisect_right(cum, rng.random() * cum[-1], 0, len(cum) - 1)]


@dataclass
class _Person:
    index: int
    id: int
    handle: str
    name: str
    stakeholder: str = Stakeholder.EMPLOYEE.value
    organisation: str = ""
    unit: int = -1  # index into UNITS
    level: int | None = None
    manager: int | None = None  # person index
    leader: bool = False
    broker: bool = False
    post_w: float = 1.0
    reply_w: float = 1.0
    joined: int = 0  # epoch of date_joined
    communities: list[int] = field(default_factory=list)


@dataclass
class _Community:
    index: int
    id: int
    name: str
    slug: str
    visibility: str
    audience: str
    kinds: list[str]
    theme: str
    home: list[int]  # unit indexes; empty = everyone
    purpose: str
    created: int = 0
    owner: int = -1
    moderators: list[int] = field(default_factory=list)
    members: list[int] = field(default_factory=list)
    joined: dict[int, int] = field(default_factory=dict)  # person -> epoch
    topics: list[str] = field(default_factory=list)


class _Generator:
    def __init__(
        self,
        members: int,
        seed: int,
        posts_per_member: float,
        months: float,
        end: datetime,
        writer: BulkWriter,
        progress: Progress | None,
    ) -> None:
        self.n = members
        self.rng = random.Random(seed)
        self.np_rng = np.random.default_rng(seed)
        self.posts_total = round(members * posts_per_member)
        self.end = int(end.timestamp())
        self.start = self.end - int(months * 30 * 86400)
        self.w = writer
        self.progress = progress or (lambda stage, done, total: None)
        self.result = DemoResult()
        self.people: list[_Person] = []
        self.communities: list[_Community] = []
        self.units: list[Unit] = []
        self.topic_ids: dict[str, int] = {}

    # --- time ---

    def moment(self, lo: int, hi: int) -> int:
        """A plausible working moment between lo and hi: weekdays, office hours mostly."""
        if hi <= lo:
            return lo
        rng = self.rng
        for _ in range(4):
            t = rng.randint(lo, hi)
            day = t - t % 86400
            if time.gmtime(day).tm_wday >= 5 and rng.random() < 0.8:
                continue
            hour = min(22.5, max(6.5, rng.gauss(13.0, 3.0)))
            t = day + int(hour * 3600) + rng.randrange(60)
            if lo <= t <= hi:
                return t
        return rng.randint(lo, hi)

    # --- organisation ---

    def build_units(self) -> None:
        by_name: dict[str, Unit] = {}
        existing = {u.name: u for u in Unit.objects.filter(name__in=[u[0] for u in UNITS])}
        for name, parent, _, _ in UNITS:
            unit = existing.get(name) or Unit(name=name, slug=slugify(name))
            unit.parent = by_name.get(parent) if parent else None
            unit.save()
            by_name[name] = unit
            self.units.append(unit)
        self.result.units = len(self.units)

    def build_people(self) -> None:
        rng, n = self.rng, self.n
        ids = self.w.next_id(Member)
        taken = {"alex", "admin"}
        unit_index = {u[0]: i for i, u in enumerate(UNITS)}

        def person(name: str, **kw: Any) -> _Person:
            handle = kw.pop("handle", None)
            if handle is None:
                base = handle_base("", name)
                handle, k = base, 1
                while handle in taken:
                    k += 1
                    handle = f"{base}{k}"
                taken.add(handle)
            p = _Person(index=len(self.people), id=next(ids), handle=handle, name=name, **kw)
            p.joined = self.start - rng.randint(60, 700) * 86400
            self.people.append(p)
            return p

        def name() -> str:
            return f"{rng.choice(FIRST)} {rng.choice(LAST)}"

        # Two known logins first, so their ids are stable and easy to find.
        person("Site Admin", handle=ADMIN_LOGIN, unit=-1)
        alex = person("Alex Morgan", handle=DEMO_LOGIN, unit=unit_index["Product Management"], level=4)

        externals = []
        for kind, share in EXTERNAL_SHARES:
            externals += [kind] * max(1 if kind in ("customer", "partner", "supplier") else 0, round(n * share))
        employees = n - 2 - len(externals)

        # Executives (level 1) in the Executive Office.
        ceo = person(name(), unit=0, level=1, leader=True)
        execs = {EXECUTIVES[0][0]: ceo}
        for title, _ in EXECUTIVES[1:]:
            execs[title] = person(name(), unit=0, level=1, leader=True, manager=ceo.index)
        remaining = employees - len(execs)
        shares = [u[2] for u in UNITS]
        total_share = sum(shares)
        sizes = [max(3, int(remaining * s / total_share)) for s in shares]
        sizes[1] += remaining - sum(sizes)  # Engineering absorbs rounding
        boss_of_unit = {u: execs[t] for t, units in EXECUTIVES for u in units}
        for ui, (uname, _, _, _) in enumerate(UNITS):
            size = sizes[ui]
            n2 = 1 + size // 100
            n3 = max(1, round(size * 0.09))
            n4 = max(1, round(size * 0.36))
            levels = [2] * n2 + [3] * n3 + [4] * n4 + [5] * max(0, size - n2 - n3 - n4)
            by_level: dict[int, list[_Person]] = {2: [], 3: [], 4: [], 5: []}
            if uname == "Product Management":
                by_level[4].append(alex)
            for lv in levels:
                above = by_level.get(lv - 1) or by_level.get(lv - 2) or by_level[2]
                if lv == 2:
                    mgr = boss_of_unit[uname].index
                else:
                    mgr = rng.choice(above).index if above else boss_of_unit[uname].index
                p = person(name(), unit=ui, level=lv, leader=lv <= 2, manager=mgr)
                by_level[lv].append(p)
            if uname == "Product Management":
                alex.manager = (by_level[3] or by_level[2])[0].index
        for kind in externals:
            org = rng.choice(ORGANISATIONS[kind])
            person(name(), stakeholder=kind, organisation=org)

        # Activity: heavy-tailed, with many lurkers; brokers talk across units; leaders rarely reply.
        emp = [p for p in self.people if p.stakeholder == Stakeholder.EMPLOYEE and p.unit >= 0]
        for p in self.people:
            w = rng.lognormvariate(0.0, 1.3)
            if rng.random() < 0.35:
                w *= 0.05  # lurkers read, react now and then, and almost never write
            p.post_w = w
            p.reply_w = w
            if p.leader:
                p.post_w = max(w, 2.0) * 1.5
                p.reply_w = w * 0.06
            if p.stakeholder != Stakeholder.EMPLOYEE:
                p.post_w *= 0.8
                p.reply_w *= 0.5
        for p in rng.sample([p for p in emp if p.level in (3, 4)], max(3, len(emp) // 40)):
            p.broker = True
            p.post_w = max(p.post_w, 1.5)
            p.reply_w = max(p.reply_w, 1.0) * 8
        admin = self.people[0]
        admin.post_w = admin.reply_w = 0.0
        alex.post_w, alex.reply_w, alex.broker = 2.5, 2.5, False

        pw = demo_password_hash()
        unusable = "!" + "demo-unusable-"  # "!" prefix: Django never matches it to any password
        self.w.register(
            Member,
            [
                "id",
                "password",
                "handle",
                "name",
                "email",
                "unit_id",
                "level",
                "manager_id",
                "stakeholder",
                "organisation",
                "is_staff",
                "is_superuser",
                "is_analyst",
                "is_active",
                "date_joined",
                "last_login",
                "external_id",
            ],
        )
        for p in self.people:
            login = p.handle in (DEMO_LOGIN, ADMIN_LOGIN)
            domain = (
                COMPANY_DOMAIN
                if p.stakeholder == Stakeholder.EMPLOYEE
                else (slugify(p.organisation) + ".example" if p.organisation else "mail.example")
            )
            staff = p.handle == ADMIN_LOGIN
            self.w.add(
                Member,
                (
                    p.id,
                    pw if login else f"{unusable}{p.index:08d}",
                    p.handle,
                    p.name,
                    f"{p.handle}@{domain}",
                    self.units[p.unit].id if p.unit >= 0 else None,
                    p.level,
                    self.people[p.manager].id if p.manager is not None else None,
                    p.stakeholder,
                    p.organisation,
                    staff,
                    staff,
                    staff,
                    True,
                    self.w.when(p.joined),
                    None,
                    None,
                ),
            )
        self.w.flush(Member)
        self.result.members = len(self.people)
        self.progress("organisation", 1, 1)

    # --- communities ---

    def build_communities(self) -> None:
        rng = self.rng
        unit_index = {u[0]: i for i, u in enumerate(UNITS)}
        specs: list[tuple] = []
        for uname, _, _, theme in UNITS:
            vis = "closed" if uname in CLOSED_UNIT_ROOMS else "open"
            specs.append((f"{uname} Team", vis, "internal", [], theme, [uname], f"The {uname} team's room."))
        specs += [
            ("Company News", "open", "internal", [], "company", "*", "Announcements from leadership."),
            ("Ask Anything", "open", "internal", [], "company", "*", "No question too small."),
            ("Leadership Circle", "secret", "internal", [], "company", "*", "Levels 1 and 2 only."),
            ("Project Falcon", "secret", "internal", [], "product", "*", "A confidential cross-unit project."),
        ]
        specs += TOPICAL
        ids = self.w.next_id(Community)
        taken = set(Community.objects.values_list("slug", flat=True))
        for i, (name, vis, aud, kinds, theme, home, purpose) in enumerate(specs):
            slug, k = slugify(name), 1
            while slug in taken:
                k += 1
                slug = f"{slugify(name)}-{k}"
            taken.add(slug)
            c = _Community(
                index=i,
                id=next(ids),
                name=name,
                slug=slug,
                visibility=vis,
                audience=aud,
                kinds=list(kinds),
                theme=theme,
                home=[] if home == "*" else [unit_index[h] for h in home],
                purpose=purpose,
            )
            c.created = self.start - rng.randint(30, 500) * 86400
            c.topics = THEME_TOPICS[theme]
            self.communities.append(c)
        by_name = {c.name: c for c in self.communities}
        people = self.people
        employees = [p for p in people if p.stakeholder == Stakeholder.EMPLOYEE and p.handle != ADMIN_LOGIN]

        def add(p: _Person, c: _Community) -> None:
            if p.index in c.joined:
                return
            c.joined[p.index] = -1
            c.members.append(p.index)
            p.communities.append(c.index)

        # Owners and moderators first: the unit head owns the unit room, executives own company news.
        for c in self.communities:
            if c.name == "Company News" or c.name == "Leadership Circle":
                execs = [p for p in employees if p.level == 1]
                c.owner = execs[0].index
                c.moderators = [p.index for p in execs[1:]]
            elif c.home:
                heads = [p for p in employees if p.unit in c.home and p.level in (2, 3)]
                heads.sort(key=lambda p: (p.level, p.index))
                c.owner = heads[0].index
                pool = [p.index for p in employees if p.unit in c.home and p.level in (3, 4)]
                c.moderators = rng.sample(pool, min(len(pool), 2))
            else:
                pool = [p for p in employees if p.level in (3, 4)]
                c.owner = rng.choice(pool).index
                c.moderators = [rng.choice(pool).index]
            c.moderators = [m for m in dict.fromkeys(c.moderators) if m != c.owner]
            add(people[c.owner], c)
            for m in c.moderators:
                add(people[m], c)

        topical = [
            c
            for c in self.communities
            if c.visibility != "secret"
            and not c.name.endswith(" Team")
            and c.name not in ("Company News", "Ask Anything")
        ]
        for p in employees:
            if p.unit >= 0 and rng.random() < 0.93:
                add(p, self.communities[p.unit])
            if rng.random() < 0.85 or p.leader:
                add(p, by_name["Company News"])
            if rng.random() < 0.35:
                add(p, by_name["Ask Anything"])
            if p.level in (1, 2):
                add(p, by_name["Leadership Circle"])
            for c in topical:
                at_home = not c.home or p.unit in c.home
                chance = (0.30 if at_home else 0.025) * (0.5 if c.audience == "mixed" else 1.0)
                if c.home == [] and c.name != "Open Forum":
                    chance = 0.12
                if p.broker:
                    chance = min(0.9, chance * 3 + 0.15)
                if rng.random() < chance:
                    add(p, c)
            if p.broker and rng.random() < 0.5:
                add(p, self.communities[rng.randrange(len(UNITS))])  # brokers sit in other units' rooms too
        falcon = by_name["Project Falcon"]
        for p in rng.sample([p for p in employees if p.level in (2, 3, 4)], min(14, len(employees) // 10)):
            add(p, falcon)
        for p in people:
            if p.stakeholder == Stakeholder.EMPLOYEE:
                continue
            fitting = [c for c in self.communities if p.stakeholder in c.kinds]
            rng.shuffle(fitting)
            for j, c in enumerate(fitting):
                if j == 0 or rng.random() < 0.45:
                    add(p, c)
        alex = people[1]
        for name in ("Product Ideas", "Customer Voice", "Remote Work", "Company News", "Innovation Lab"):
            add(alex, by_name[name])
        add(alex, self.communities[alex.unit])

        # Join times: most before the window opens, some during it.
        window = self.end - self.start
        for c in self.communities:
            for pi in c.members:
                p = people[pi]
                lo = max(c.created, p.joined)
                if pi == c.owner:
                    t = c.created
                elif rng.random() < 0.85:
                    t = rng.randint(lo, self.start)
                else:
                    t = rng.randint(self.start, self.start + window // 2)
                c.joined[pi] = max(t, c.created)

        Community.objects.bulk_create(
            [
                Community(
                    id=c.id,
                    name=c.name,
                    slug=c.slug,
                    purpose=c.purpose,
                    visibility=c.visibility,
                    audience=c.audience,
                    external_kinds=sorted(c.kinds),
                    created_by_id=people[c.owner].id,
                    created_at=datetime.fromtimestamp(c.created, UTC),
                    member_count=len(c.members),
                )
                for c in self.communities
            ]
        )
        self.w.gave_ids(Community)
        self.w.register(Membership, ["community_id", "member_id", "role", "joined_at"])
        for c in self.communities:
            mods = set(c.moderators)
            for pi in c.members:
                role = Role.OWNER if pi == c.owner else Role.MODERATOR if pi in mods else Role.MEMBER
                t = c.joined[pi]
                self.w.add(Membership, (c.id, people[pi].id, role.value, self.w.when(t)))
                if pi == c.owner:
                    self.event(Verb.CREATE_COMMUNITY, pi, None, c.id, t, ObjectType.COMMUNITY, c.id)
                else:
                    self.event(Verb.JOIN, pi, None, c.id, t, ObjectType.COMMUNITY, c.id)
                self.result.memberships += 1
        self.result.communities = len(self.communities)

        # Weighted pools for choosing who writes where.
        self.pool_all: list[tuple[list[int], list[float]]] = []
        self.pool_emp: list[tuple[list[int], list[float]]] = []
        self.pool_unit: list[dict[int, tuple[list[int], list[float]]]] = []
        self.pool_react: list[tuple[list[int], list[float]]] = []
        for c in self.communities:
            pop = [pi for pi in c.members if people[pi].reply_w > 0]
            self.pool_all.append(self._cum(pop, lambda pi: people[pi].reply_w))
            emp = [pi for pi in pop if people[pi].stakeholder == Stakeholder.EMPLOYEE]
            self.pool_emp.append(self._cum(emp, lambda pi: people[pi].reply_w))
            units: dict[int, list[int]] = {}
            for pi in pop:
                if people[pi].unit >= 0 and not people[pi].broker:
                    units.setdefault(people[pi].unit, []).append(pi)
            self.pool_unit.append({u: self._cum(v, lambda pi: people[pi].reply_w) for u, v in units.items()})
            # Reacting is cheap: lurkers react too, so the weights are flatter.
            self.pool_react.append(self._cum(c.members, lambda pi: 0.3 + math.sqrt(people[pi].post_w)))
        self.progress("communities", 1, 1)

    @staticmethod
    def _cum(pop: list[int], weight: Callable[[int], float]) -> tuple[list[int], list[float]]:
        return pop, list(itertools.accumulate(weight(pi) for pi in pop))

    # --- follows ---

    def build_follows(self) -> None:
        rng, people = self.rng, self.people
        active = [p for p in people if p.handle != ADMIN_LOGIN]
        # Popularity: leaders and prolific writers attract followers; many get none.
        pop = [p.index for p in active]
        cum = list(itertools.accumulate((p.post_w + 0.15) ** 0.9 * (4 if p.leader else 1) for p in active))
        by_unit: dict[int, tuple[list[int], list[float]]] = {}
        for u in range(len(UNITS)):
            members = [p.index for p in active if p.unit == u]
            if members:
                by_unit[u] = self._cum(members, lambda pi: people[pi].post_w + 0.2)
        self.w.register(Follow, ["follower_id", "followed_id", "created_at"])
        self.follows: dict[int, list[int]] = {}
        for p in active:
            k = min(80, int(rng.lognormvariate(1.6, 1.0)))
            if p.post_w < 0.1:
                k //= 2
            chosen: dict[int, None] = {}
            for _ in range(k * 2):
                if len(chosen) >= k:
                    break
                if p.unit >= 0 and p.unit in by_unit and rng.random() < 0.6:
                    other = _pick(*by_unit[p.unit], rng)
                else:
                    other = _pick(pop, cum, rng)
                if other != p.index:
                    chosen[other] = None
            self.follows[p.index] = list(chosen)
            for other in chosen:
                t = self.moment(max(p.joined, people[other].joined, self.start - 90 * 86400), self.end)
                self.w.add(Follow, (p.id, people[other].id, self.w.when(t)))
                self.event(Verb.FOLLOW, p.index, other, None, t, ObjectType.MEMBER, people[other].id)
                self.result.follows += 1
        self.progress("follows", 1, 1)

    # --- the activity stream ---

    def event(
        self, verb: str, actor: int, target: int | None, community_id: int | None, t: int,
        object_type: str = ObjectType.POST, object_id: int | None = None,
    ) -> None:
        """One activity row, as the service for the act would record it."""
        people = self.people
        self.w.add(
            Activity,
            (
                people[actor].id,
                people[target].id if target is not None else None,
                community_id,
                object_type,
                object_id,
                verb,
                self.w.when(t),
            ),
        )
        self.result.events += 1

    # --- conversations ---

    def plan_roots(self) -> list[tuple[int, int, int, str, int, float]]:
        """(time, author, community, kind, seq, reply weight) for every thread, oldest first."""
        rng, people, comms = self.rng, self.people, self.communities
        n_roots = max(1, round(self.posts_total * 0.26))
        writers = [p for p in people if p.post_w > 0 and p.communities]
        wpop = [p.index for p in writers]
        wcum = list(itertools.accumulate(p.post_w for p in writers))
        ccache: dict[int, tuple[list[int], list[float]]] = {}
        roots = []
        for seq in range(n_roots):
            a = people[_pick(wpop, wcum, rng)]
            if a.index not in ccache:
                ws = []
                for ci in a.communities:
                    c = comms[ci]
                    moderates = c.owner == a.index or a.index in c.moderators
                    if c.name == "Company News":
                        w = 4.0 if a.leader else 0.15
                    elif c.index == a.unit:
                        w = 5.0
                    elif a.stakeholder != Stakeholder.EMPLOYEE:
                        w = 2.0
                    elif c.audience == "mixed":
                        w = 0.6
                    else:
                        w = 1.0
                    if a.leader and moderates:
                        w *= 2
                    ws.append(w)
                ccache[a.index] = (a.communities, list(itertools.accumulate(ws)))
            c = comms[_pick(*ccache[a.index], rng)]
            moderates = c.owner == a.index or a.index in c.moderators
            r = rng.random()
            if moderates and a.leader and r < 0.7:
                kind = "announcement"
            elif moderates and r < 0.05:
                kind = "announcement"
            elif a.stakeholder != Stakeholder.EMPLOYEE:
                kind = "question" if r < 0.7 else "discussion"
            elif r < 0.2:
                kind = "question"
            else:
                kind = "discussion"
            lo = max(self.start, c.joined[a.index])
            t = self.moment(lo, self.end - 600)
            weight = rng.lognormvariate(0.0, 0.9)
            weight *= {"announcement": 0.35, "question": 1.3, "discussion": 1.0}[kind]
            if kind == "question" and a.stakeholder != Stakeholder.EMPLOYEE and rng.random() < 0.2:
                weight = 0.0  # nobody answers some customers: the insights should show it
            weight *= min(1.0, (self.end - t) / (3 * 86400))  # late threads have had less time
            roots.append((t, a.index, c.index, kind, seq, weight))
        roots.sort()
        return roots

    def build_conversations(self) -> None:
        comms, w = self.communities, self.w
        for name in sorted({t for ts in THEME_TOPICS.values() for t in ts}):
            self.topic_ids[name] = 0
        existing = dict(Topic.objects.filter(name__in=list(self.topic_ids)).values_list("name", "id"))
        missing = [Topic(name=n) for n in self.topic_ids if n not in existing]
        Topic.objects.bulk_create(missing)
        existing = dict(Topic.objects.filter(name__in=list(self.topic_ids)).values_list("name", "id"))
        self.topic_ids = existing

        roots = self.plan_roots()
        n_replies = self.posts_total - len(roots)
        weights = np.array([r[5] for r in roots], dtype=float)
        if weights.sum() <= 0:
            weights[:] = 1.0
        counts = self.np_rng.multinomial(max(0, n_replies), weights / weights.sum()).tolist()

        w.register(
            Post,
            [
                "id",
                "community_id",
                "author_id",
                "kind",
                "title",
                "body",
                "body_html",
                "parent_id",
                "root_id",
                "depth",
                "created_at",
                "last_activity_at",
                "reply_count",
                "accepted_answer_id",
                "edited_at",
                "deleted_at",
            ],
        )
        w.register(Reaction, ["post_id", "member_id", "kind", "created_at"])
        w.register(Post.mentions.through, ["post_id", "member_id"])
        w.register(Post.topics.through, ["post_id", "topic_id"])
        self.post_ids = w.next_id(Post)
        self.accepted: list[tuple[int, int]] = []  # (answer id, question id)
        total = self.posts_total
        done = 0
        for (t0, author, ci, kind, _, _), n in zip(roots, counts, strict=True):
            done += 1 + self.thread(t0, author, comms[ci], kind, n)
            if done % 2000 < 1 + n:
                self.progress("posts", done, total)
        w.update(Post, "accepted_answer_id", self.accepted)
        self.progress("posts", total, total)

    def choose_replier(self, c: _Community, parent_author: int, root_author: int, external_question: bool) -> int:
        rng, people = self.rng, self.people
        pa = people[parent_author]
        for _ in range(4):
            r = rng.random()
            if parent_author != root_author and r < 0.2 and not people[root_author].leader:
                who = root_author  # the asker or starter answers back
            elif external_question and self.pool_emp[c.index][0] and r < 0.9:
                who = _pick(*self.pool_emp[c.index], rng)
            elif pa.unit >= 0 and r < 0.62 and pa.unit in self.pool_unit[c.index]:
                who = _pick(*self.pool_unit[c.index][pa.unit], rng)  # most talk stays in the unit
            elif self.pool_all[c.index][0]:
                who = _pick(*self.pool_all[c.index], rng)
            else:
                who = c.owner
            if who != parent_author:
                return who
        return who

    def body(
        self,
        c: _Community,
        kind: str,
        author: _Person,
        subject: str,
        root_author: _Person | None,
        mention: list[int],
        topics: list[str],
    ) -> tuple[str, str, str]:
        """(title, body, body_html) for a post."""
        rng = self.rng
        s = subject
        title = ""
        first: list[tuple[str, str]] = []
        if kind == "reply":
            if (root_author and root_author.stakeholder != Stakeholder.EMPLOYEE
                    and author.stakeholder == Stakeholder.EMPLOYEE):
                unit = UNITS[author.unit][0] if author.unit >= 0 else "support"
                text = rng.choice(ANSWERS).format(s=s, unit=unit)
            else:
                text = rng.choice(REPLIES)
            first.append(("text", text))
        elif kind == "question":
            title = rng.choice(Q_TITLES).format(s=s)
            if author.stakeholder != Stakeholder.EMPLOYEE:
                org = author.organisation or "our company"
                first.append(("text", rng.choice(CUSTOMER_Q).format(s=s, org=org)))
            else:
                first.append(("text", rng.choice(Q_BODIES).format(s=s)))
        elif kind == "announcement":
            title = rng.choice(A_TITLES).format(s=s, S=s[:1].upper() + s[1:])
            first.append(("text", rng.choice(A_BODIES).format(s=s) + " " + rng.choice(DETAILS)))
        else:
            title = rng.choice(D_TITLES).format(s=s, S=s[:1].upper() + s[1:])
            first.append(("text", rng.choice(OPENERS).format(s=s) + " " + rng.choice(DETAILS)))
        paras = [first]
        if kind != "reply" or rng.random() < 0.3:
            paras.append([("text", rng.choice(DETAILS) + " " + rng.choice(CLOSERS))])
        if mention:
            seg: list[tuple[str, str]] = [("text", "cc ")]
            for j, m in enumerate(mention):
                if j:
                    seg.append(("text", " and "))
                seg.append(("mention", self.people[m].handle))
            paras[-1] += [("text", " ")] + seg if paras[-1] else seg
        if topics:
            seg = []
            for j, tname in enumerate(topics):
                if j:
                    seg.append(("text", " "))
                seg.append(("topic", tname))
            paras.append(seg)
        body, body_html = render_segments(paras)
        return title, body, body_html

    def thread(self, t0: int, author: int, c: _Community, kind: str, n: int) -> int:
        """Write one thread: the root, n replies, reactions, mentions, topics and activity rows."""
        rng, people, w = self.rng, self.people, self.w
        end = self.end
        root_author = people[author]
        external_q = kind == "question" and root_author.stakeholder != Stakeholder.EMPLOYEE
        subject = rng.choice(SUBJECTS[c.theme])
        # posts: [time, author, parent position or -1, depth]
        nodes: list[list[int]] = [[t0, author, -1, 0]]
        for k in range(n):
            if k == 0 or rng.random() < 0.45:
                pos = 0
            else:
                pos = max(0, len(nodes) - 1 - int(rng.expovariate(0.8)))
                if nodes[pos][3] >= 6:
                    pos = 0
            parent = nodes[pos]
            who = self.choose_replier(c, parent[1], author, external_q)
            delay = rng.expovariate(1 / 5400) if rng.random() < 0.7 else rng.expovariate(1 / 60000)
            t = max(parent[0] + 60 + int(delay), c.joined.get(who, 0) + 60)
            if t > end:
                t = parent[0] + int((end - parent[0]) * rng.random())
                if t < c.joined.get(who, 0) or t <= parent[0]:
                    continue
            nodes.append([t, who, pos, parent[3] + 1])
        # Ids follow time inside the thread; a child is always later than its parent.
        order = sorted(range(1, len(nodes)), key=lambda i: (nodes[i][0], i))
        ids = [0] * len(nodes)
        ids[0] = next(self.post_ids)
        for i in order:
            ids[i] = next(self.post_ids)
        children = Counter(nd[2] for nd in nodes[1:])
        last = max(nd[0] for nd in nodes)
        accepted: int | None = None
        accept_t = 0
        if kind == "question" and len(nodes) > 1:
            answers = [i for i in order if nodes[i][1] != author]
            if answers and rng.random() < 0.6:
                accepted = answers[0] if rng.random() < 0.6 else rng.choice(answers)
                accept_t = min(end, nodes[accepted][0] + int(rng.expovariate(1 / 20000)) + 60)
        root_id = ids[0]
        for i in [0, *order]:
            t, who, pos, depth = nodes[i]
            p = people[who]
            pid = ids[i]
            is_root = i == 0
            pkind = kind if is_root else "reply"
            # Mentions: mostly a colleague who can read the community.
            mention: list[int] = []
            if rng.random() < (0.12 if is_root else 0.05):
                for _ in range(1 if rng.random() < 0.85 else 2):
                    cand = self.pick_colleague(c, p)
                    if cand is not None and cand != who and cand not in mention:
                        mention.append(cand)
            topics: list[str] = []
            if rng.random() < (0.5 if is_root else 0.06):
                topics = list(dict.fromkeys(rng.choice(c.topics) for _ in range(1 if rng.random() < 0.7 else 2)))
            title, body, body_html = self.body(c, pkind, p, subject, root_author, mention, topics)
            if is_root:
                w.add(
                    Post,
                    (
                        pid,
                        c.id,
                        p.id,
                        pkind,
                        title,
                        body,
                        body_html,
                        None,
                        None,
                        0,
                        w.when(t),
                        w.when(last),
                        len(nodes) - 1,
                        None,  # set at the end, once the answer exists (see above)
                        None,
                        None,
                    ),
                )
                self.event(Verb.POST, who, None, c.id, t, ObjectType.POST, pid)
                self.result.threads += 1
            else:
                parent_id = ids[pos]
                parent_author = nodes[pos][1]
                w.add(
                    Post,
                    (
                        pid,
                        c.id,
                        p.id,
                        pkind,
                        "",
                        body,
                        body_html,
                        parent_id,
                        root_id,
                        depth,
                        w.when(t),
                        w.when(t),
                        children.get(i, 0),
                        None,
                        None,
                        None,
                    ),
                )
                self.event(Verb.REPLY, who, parent_author if parent_author != who else None, c.id, t,
                           ObjectType.POST, pid)
                self.result.replies += 1
            for m in mention:
                w.add(Post.mentions.through, (pid, people[m].id))
                self.event(Verb.MENTION, who, m, c.id, t, ObjectType.POST, pid)
                self.result.mentions += 1
            for tname in topics:
                w.add(Post.topics.through, (pid, self.topic_ids[tname]))
            self.reactions(c, pid, who, pkind, t)
        if accepted:
            self.accepted.append((ids[accepted], root_id))
            ans_author = nodes[accepted][1]
            self.event(
                Verb.ACCEPT_ANSWER, author, ans_author if ans_author != author else None, c.id, accept_t,
                ObjectType.POST, ids[accepted],
            )
            self.result.accepted_answers += 1
        return len(nodes) - 1

    def pick_colleague(self, c: _Community, p: _Person) -> int | None:
        rng = self.rng
        if p.unit >= 0 and p.unit in self.pool_unit[c.index] and rng.random() < 0.7:
            return _pick(*self.pool_unit[c.index][p.unit], rng)
        pop, cum = self.pool_all[c.index]
        return _pick(pop, cum, rng) if pop else None

    def reactions(self, c: _Community, pid: int, author: int, kind: str, t: int) -> None:
        rng, people, w = self.rng, self.people, self.w
        mean = {"announcement": 7.0, "question": 1.2, "discussion": 2.2, "reply": 0.6}[kind]
        k = int(rng.expovariate(1 / mean)) if mean else 0
        if not k:
            return
        cum_kinds = ANNOUNCE_REACTION_CUM if kind == "announcement" else REACTION_CUM
        pop, cum = self.pool_react[c.index]
        seen: set[int] = set()
        for _ in range(k):
            who = _pick(pop, cum, rng)
            if who == author or who in seen:
                continue
            seen.add(who)
            rt = t + 30 + int(rng.expovariate(1 / 10800))
            rt = max(rt, c.joined[who] + 30)
            if rt > self.end:
                continue
            rkind = REACTION_KINDS[bisect.bisect_right(cum_kinds, rng.random() * cum_kinds[-1], 0, 4)]
            w.add(Reaction, (pid, people[who].id, rkind, w.when(rt)))
            self.event(Verb.REACT, who, author, c.id, rt, ObjectType.POST, pid)
            self.result.reactions += 1


def generate(
    members: int = 2000,
    seed: int = 1,
    posts_per_member: float = 25,
    *,
    months: float = 6,
    end: datetime = DEFAULT_END,
    progress: bool | Progress = True,
    using: str = DEFAULT_DB_ALIAS,
    batch_size: int = 20_000,
) -> DemoResult:
    """Generate the demo organisation into an empty database, in one transaction.

    `progress`: True shows a rich progress bar, a callable receives (stage, done, total).
    Raises Conflict when members exist already.
    """
    if not isinstance(members, int) or members < MIN_MEMBERS:
        raise InvalidInput(f"A demo needs at least {MIN_MEMBERS} members.", field="members")
    if posts_per_member < 0 or months <= 0:
        raise InvalidInput("Posts per member must be zero or more and months more than zero.", field="months")
    started = time.perf_counter()
    if progress is True:
        return _with_bar(members, seed, posts_per_member, months, end, using, batch_size, started)
    callback = progress if callable(progress) else None
    return _run(members, seed, posts_per_member, months, end, using, batch_size, callback, started)


def _with_bar(
    members: int, seed: int, ppm: float, months: float, end: datetime, using: str, batch_size: int, started: float
) -> DemoResult:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=False
    ) as bar:
        setup = bar.add_task("Organisation, communities, follows", total=3)
        posts = bar.add_task("Posts and replies", total=round(members * ppm) or 1)
        saving = bar.add_task("Saving", total=1)

        def report(stage: str, done: int, total: int) -> None:
            if stage == "posts":
                bar.update(posts, completed=done, total=total or 1)
            elif stage == "saved":
                bar.update(saving, completed=1)
            else:
                bar.advance(setup)

        return _run(members, seed, ppm, months, end, using, batch_size, report, started)


def _run(
    members: int,
    seed: int,
    ppm: float,
    months: float,
    end: datetime,
    using: str,
    batch_size: int,
    progress: Progress | None,
    started: float,
) -> DemoResult:
    with transaction.atomic(using=using):
        if Member.objects.using(using).exists():
            raise Conflict("The database has members already; the demo only goes into an empty one.", field="members")
        writer = BulkWriter(using, batch_size=batch_size)
        gen = _Generator(members, seed, ppm, months, end, writer, progress)
        gen.build_units()
        gen.build_people()
        writer.register(Activity, *chain.bulk_sealer([
            "actor_id", "target_id", "community_id", "object_type", "object_id", "verb", "created_at"]))
        gen.build_communities()
        gen.build_follows()
        gen.build_conversations()
        writer.finish()
        if progress:
            progress("saved", 1, 1)
    result = gen.result
    result.counts = dict(writer.counts)
    result.seconds = time.perf_counter() - started
    return result
