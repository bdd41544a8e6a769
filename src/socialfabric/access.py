"""Who may see or do what. Every read path and every act asks this module.

Rules
- A community's audience decides who may belong: employees always; external
  stakeholders only in a mixed community that lists their kind.
- Open: anyone the audience admits may read it and join at once.
- Closed: listed to the audience; only members read its posts; joining needs a
  moderator's approval.
- Secret: invisible to non-members everywhere (lists, pages, feeds, search,
  counts, API); members are added by its moderators.
- Posting needs membership; announcements need a moderator or owner.
- Staff see and moderate everything, secret communities included (the staff area lists them).
- Staff administer accounts, never their own (no self-deactivation, no revoking one's own
  staff role); a superuser's account only a superuser changes; external stakeholders are
  never staff or analysts.
- The external boundary: employees and staff see every active member; an external member
  sees themselves, the members of the communities they may read and their own organisation's
  external members (all active members with SOCIALFABRIC_EXTERNALS_SEE_DIRECTORY), and never
  the company's units, levels, managers or reporting lines (docs/security.md).
- Before a first post, reply or reaction a member accepts the organisation's policy in force,
  and a community's guidelines where it has some (a new version may ask everyone again); with
  no policy published there is nothing to accept.
- A post not published (docs/governance.md) is read by its author and staff, and besides them:
  a hidden or held one by its community's moderators, one in compliance sign-off (waiting,
  returned, rejected) by compliance officers. Nobody else learns it exists: not in feeds,
  threads, search, counts, notifications or insights. A reply is read only with its thread's
  first post.
- A suspended member posts, replies, reacts and flags nowhere (platform) or not in that
  community until the suspension ends; reading goes on.
- Attachments are read exactly as their post: a file on a post one may not read, or on a
  removed post, does not exist for the reader (404 like an unknown id); only the post's
  author adds files to it.
- Insights (organisation-wide analytics) are for analysts and staff; person names in them
  for analysts only, staff who are not analysts see pseudonyms. Secret communities'
  interactions never enter the platform's insights reports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db.models import Exists, OuterRef, Q, QuerySet

from socialfabric.communities.models import Community, Membership, Role, Visibility
from socialfabric.conversations.models import MODERATED_STATES, SIGN_OFF_STATES, Post, PostKind, PostState
from socialfabric.errors import Conflict, Forbidden, InvalidInput, NotFound, PolicyNotAccepted
from socialfabric.governance.models import Acceptance, Erasure, Policy, Suspension
from socialfabric.org.models import Member, Stakeholder
from socialfabric.validation import is_storable, parse_id


def member_community_ids(member: Member) -> set[int]:
    if not member.is_authenticated:
        return set()
    cache = getattr(member, "_sf_member_communities", None)
    if cache is None:
        cache = set(Membership.objects.filter(member=member).values_list("community_id", flat=True))
        member._sf_member_communities = cache
    return cache


def forget(member: Member) -> None:
    """Drop per-request caches after a membership change."""
    for attr in ("_sf_member_communities", "_sf_readable", "_sf_roles", "_sf_shared_members", "_sf_moderated",
                 "_sf_suspended"):
        if hasattr(member, attr):
            delattr(member, attr)


def _role(member: Member, community: Community) -> str | None:
    if not member.is_authenticated:
        return None
    roles = getattr(member, "_sf_roles", None)
    if roles is None:
        roles = {}
        member._sf_roles = roles
    if community.id not in roles:
        roles[community.id] = (
            Membership.objects.filter(member=member, community=community).values_list("role", flat=True).first()
        )
    return roles[community.id]


def know_roles(member: Member, communities: Iterable[Community]) -> None:
    """Look up the member's role in all these communities in one query (for a page that asks
    a rule about each of them), so that the rules below find them known."""
    if not member.is_authenticated:
        return
    ids = [c.id for c in communities]
    found = dict(Membership.objects.filter(member=member, community_id__in=ids).values_list("community_id", "role"))
    roles = getattr(member, "_sf_roles", None)
    if roles is None:
        roles = member._sf_roles = {}
    roles.update({i: found.get(i) for i in ids})


def _admitting(qs: QuerySet[Community], stakeholder: str) -> QuerySet[Community]:
    """Narrow `qs` to communities whose audience admits this stakeholder kind."""
    if stakeholder == Stakeholder.EMPLOYEE:
        return qs
    # JSON containment differs per backend; the kinds list is short, so filter in Python.
    mixed = qs.filter(audience="mixed").only("id", "external_kinds")
    return Community.objects.filter(id__in=[c.id for c in mixed if stakeholder in (c.external_kinds or [])])


def _open_admitting(member: Member) -> QuerySet[Community]:
    return _admitting(Community.objects.filter(visibility=Visibility.OPEN), member.stakeholder)


def _open_admitting_ids(member: Member) -> set[int]:
    """Ids of the open communities admitting the member: one query (the queryset above costs two)."""
    open_ = Community.objects.filter(visibility=Visibility.OPEN)
    if member.stakeholder == Stakeholder.EMPLOYEE:
        return set(open_.values_list("id", flat=True))
    mixed = open_.filter(audience="mixed").only("id", "external_kinds")
    return {c.id for c in mixed if member.stakeholder in (c.external_kinds or [])}


def readable_community_ids(member: Member) -> set[int]:
    """Communities whose posts the member may read."""
    if not member.is_authenticated:
        return set()
    cache = getattr(member, "_sf_readable", None)
    if cache is None:
        if member.is_staff:
            cache = set(Community.objects.values_list("id", flat=True))
        else:
            cache = _open_admitting_ids(member) | member_community_ids(member)
        member._sf_readable = cache
    return cache


def visible_communities_q(member: Member) -> Q:
    """Communities the member may know exist (lists, search, counts), as a Q on Community."""
    if not member.is_authenticated:
        return Q(pk__in=[])
    if member.is_staff:
        return Q()
    listed = _admitting(Community.objects.exclude(visibility=Visibility.SECRET), member.stakeholder)
    return Q(id__in=listed.values("id")) | Q(id__in=list(member_community_ids(member)))


def visible_communities(member: Member) -> QuerySet[Community]:
    """`Community.objects.visible_to(member)`."""
    return Community.objects.filter(visible_communities_q(member))


def can_see_community(member: Member, community: Community) -> bool:
    if not member.is_authenticated:
        return False
    if member.is_staff or community.id in member_community_ids(member):
        return True
    return community.visibility != Visibility.SECRET and community.admits(member.stakeholder)


def can_read_community(member: Member, community: Community) -> bool:
    """Members read their communities; anyone the audience admits reads an open one.

    Decided from the community row and the member's memberships, without listing every
    readable community: this sits on the path of every post and reply.
    """
    if not member.is_authenticated:
        return False
    if member.is_staff or community.id in member_community_ids(member):
        return True
    return community.visibility == Visibility.OPEN and community.admits(member.stakeholder)


def can_moderate(member: Member, community: Community) -> bool:
    if not member.is_authenticated:
        return False
    return member.is_staff or _role(member, community) in (Role.OWNER, Role.MODERATOR)


def is_member(member: Member, community: Community) -> bool:
    return community.id in member_community_ids(member)


def get_visible_community(member: Member, slug_or_id: str | int) -> Community:
    """The community, or NotFound, also when it exists but is secret to this member."""
    if isinstance(slug_or_id, int) and not isinstance(slug_or_id, bool):
        lookup: dict = {"id": parse_id(slug_or_id, field="community", message="No such community.")}
    elif isinstance(slug_or_id, str) and is_storable(slug_or_id):
        lookup = {"slug": slug_or_id}
    else:  # None, lists, NUL characters: nothing by that address (and no 500 from the database)
        raise NotFound("No such community.", field="community")
    community = Community.objects.filter(**lookup).first()
    if community is None or not can_see_community(member, community):
        raise NotFound("No such community.", field="community")
    return community


def require_readable(member: Member, community: Community) -> None:
    if not can_see_community(member, community):
        raise NotFound("No such community.", field="community")
    if not can_read_community(member, community):
        raise Forbidden("Only members of this community can read its posts.", field="community")


def require_can_post(member: Member, community: Community, kind: str) -> None:
    require_readable(member, community)
    if not (member.is_staff or is_member(member, community)):
        raise Forbidden("Join the community to post in it.", field="community")
    if kind == "announcement" and not can_moderate(member, community):
        raise Forbidden("Only owners and moderators post announcements.", field="kind")


def require_moderator(member: Member, community: Community) -> None:
    if not can_moderate(member, community):
        raise Forbidden("Only this community's owners and moderators may do that.", field="community")


# --- the read policy as querysets and SQL -----------------------------------------------------
#
# Every list, feed, count and report reads through these. A post is readable when its community
# is readable to the viewer (see readable_community_ids). Each rule is written once below in
# both forms the code needs: a Q for the ORM (`Post.objects.visible_to(member)`) and an SQL
# condition for the hand-written feed statement, side by side in one function, so that a new
# rule (a hidden post, a suspended author) is added in one place; tests/test_access.py checks
# that the two forms select the same rows for every kind of viewer.


class Rule:
    """One read rule in both forms: `q` for querysets, `sql` (+ `params`) for raw statements.

    The Q is built on first use: the feed only needs the SQL, and a Q may cost a query.
    """

    __slots__ = ("_make_q", "_q", "params", "sql")

    def __init__(self, make_q: Callable[[], Q], sql: str, params: tuple = ()) -> None:
        self._make_q, self._q, self.sql, self.params = make_q, None, sql, params

    @property
    def q(self) -> Q:
        if self._q is None:
            self._q = self._make_q()
        return self._q


_MEMBERSHIP, _COMMUNITY = Membership._meta.db_table, Community._meta.db_table
MY_COMMUNITIES_SQL = f"SELECT community_id FROM {_MEMBERSHIP} WHERE member_id = %s"  # one param: the member
_OPEN_SQL = f"SELECT id FROM {_COMMUNITY} WHERE visibility = '{Visibility.OPEN}'"
NOTHING = Rule(lambda: Q(pk__in=[]), "1 = 0")
EVERYTHING = Rule(Q, "1 = 1")


def _ids_sql(values: Iterable[int]) -> str:
    """An inline id list; ids are ints from our own tables, never user text."""
    return ", ".join(str(int(v)) for v in sorted(values)) or "NULL"


def readable_communities_rule(viewer: Member, column: str = "p.community_id", field: str = "community_id") -> Rule:
    """Rows whose community (the `field` lookup in the Q, `community_id` or a path such as
    `post__community_id`; `column` in SQL) the viewer may read.

    In SQL, `column + 0` keeps the planner on the feed's ordered thread index (it then checks
    the community inside the index instead of gathering and sorting every match), and the
    sources are subqueries so that a feed page stays one statement.
    """
    if not viewer.is_authenticated:
        return NOTHING
    if viewer.is_staff:
        return EVERYTHING
    def readable() -> Q:
        return Q(**{f"{field}__in": readable_community_ids(viewer)})

    if viewer.stakeholder == Stakeholder.EMPLOYEE:  # every open community admits employees
        sql = f"({column} + 0 IN ({MY_COMMUNITIES_SQL}) OR {column} + 0 IN ({_OPEN_SQL}))"
        return Rule(readable, sql, (viewer.id,))
    return Rule(readable, f"{column} + 0 IN ({_ids_sql(readable_community_ids(viewer))})")


def moderated_community_ids(member: Member) -> set[int]:
    """Communities the member owns or moderates (cached per request)."""
    if not member.is_authenticated:
        return set()
    cache = getattr(member, "_sf_moderated", None)
    if cache is None:
        cache = set(Membership.objects.filter(member=member, role__in=[Role.OWNER, Role.MODERATOR])
                    .values_list("community_id", flat=True))
        member._sf_moderated = cache
    return cache


_POST = Post._meta.db_table
_MODERATED_SQL = (f"SELECT community_id FROM {_MEMBERSHIP} WHERE member_id = %s"
                  f" AND role IN ('{Role.OWNER}', '{Role.MODERATOR}')")  # one param: the member


def _states_sql(states: Iterable[str]) -> str:
    return ", ".join(f"'{s}'" for s in states)  # our own TextChoices, never user text


def _post_state_rule(viewer: Member, alias: str, prefix: str = "") -> Rule:
    """Posts whose state lets the viewer read them (the community is another rule): published
    ones; their own; hidden and held ones in communities they moderate; those in sign-off for a
    compliance officer. `prefix` is the Q path to the post (`post__` from an attachment)."""

    def own_state(path: str) -> Q:
        q = Q(**{f"{path}state": PostState.PUBLISHED}) | Q(**{f"{path}author_id": viewer.id})
        q |= Q(**{f"{path}state__in": MODERATED_STATES, f"{path}community_id__in": moderated_community_ids(viewer)})
        if viewer.is_compliance_officer:
            q |= Q(**{f"{path}state__in": SIGN_OFF_STATES})
        return q

    def own_state_sql(a: str) -> tuple[str, tuple]:
        sql = (f"{a}.state = '{PostState.PUBLISHED}' OR {a}.author_id = %s"
               f" OR ({a}.state IN ({_states_sql(MODERATED_STATES)}) AND {a}.community_id IN ({_MODERATED_SQL}))")
        if viewer.is_compliance_officer:
            sql += f" OR {a}.state IN ({_states_sql(SIGN_OFF_STATES)})"
        return sql, (viewer.id, viewer.id)

    def make_q() -> Q:
        unreadable_root = (Post.objects.filter(id=OuterRef(f"{prefix}root_id")).exclude(state=PostState.PUBLISHED)
                           .exclude(own_state("")))
        return own_state(prefix) & (Q(**{f"{prefix}root_id__isnull": True}) | ~Q(Exists(unreadable_root)))

    mine, mine_params = own_state_sql(alias)
    theirs, theirs_params = own_state_sql("sf_root")
    # A reply is read with its thread: not when the first post is one the viewer may not read
    # (one primary-key look-up per reply; a thread's first post has no root and stops there).
    sql = (f"({mine}) AND ({alias}.root_id IS NULL OR NOT EXISTS (SELECT 1 FROM {_POST} sf_root"
           f" WHERE sf_root.id = {alias}.root_id AND sf_root.state <> '{PostState.PUBLISHED}' AND NOT ({theirs})))")
    return Rule(make_q, sql, mine_params + theirs_params)


def _both(first: Rule, second: Rule) -> Rule:
    if first is NOTHING or second is EVERYTHING:
        return first
    return Rule(lambda: first.q & second.q, f"{first.sql} AND {second.sql}", first.params + second.params)


def readable_posts_rule(viewer: Member, alias: str = "p", *, published_only: bool = False) -> Rule:
    """Posts the viewer may read: the read policy for posts (feeds, threads, search, counts).

    `published_only` for a table that holds published posts only and has no state (the search
    index on PostgreSQL): the community rule alone."""
    communities = readable_communities_rule(viewer, f"{alias}.community_id")
    if published_only or communities is NOTHING or viewer.is_staff:
        return communities
    return _both(communities, _post_state_rule(viewer, alias))


def can_read_post(member: Member, post: Post) -> bool:
    """The row form of readable_posts_rule (the community's rule is asked separately, by
    require_readable): whether the post's state, and its thread's first post's, let the member
    read it."""
    if not can_read_community(member, post.community):
        return False
    if member.is_staff:
        return True

    def state_allows(p: Post) -> bool:
        if p.state == PostState.PUBLISHED or p.author_id == member.id:
            return True
        if p.state in MODERATED_STATES:
            return p.community_id in moderated_community_ids(member)
        return p.state in SIGN_OFF_STATES and member.is_compliance_officer

    if not state_allows(post):
        return False
    if post.root_id is None:
        return True
    root = post.root if "root" in post._state.fields_cache else (
        Post.objects.filter(id=post.root_id).only("id", "state", "author_id", "community_id").first())
    return root is None or state_allows(root)


def readable_notifications(member: Member) -> Q:
    """Notifications (a Q on the notifications' table) whose subject the member may read now: a
    post still live in a community they may read, or a request to join a community they still
    moderate. Checked when a notification is shown, counted or mailed, not only when made, so
    one about a post that has since become unreadable (removed, or its reader left a closed
    community) is never shown."""
    live = Q(post__deleted_at__isnull=True)
    if member.is_authenticated and member.is_staff:  # staff read and moderate everywhere
        return Q(post__isnull=True) | live
    # Built out in full: an empty Q() would drop out of `|` and widen the rule.
    posts = readable_communities_rule(member, field="post__community_id").q & live
    posts &= _post_state_rule(member, "p", prefix="post__").q
    moderated = Q(community_id__in=Membership.objects.filter(
        member_id=member.id or 0, role__in=[Role.OWNER, Role.MODERATOR]).values("community_id"))
    return (Q(post__isnull=True) | posts) & (~Q(kind="join_request") | moderated)


def readable_notifications_sql(member: Member, n: str = "n", p: str = "p") -> tuple[str, list]:
    """The same rule as readable_notifications, as SQL on the notifications' table aliased `n`
    LEFT JOINed to the post table aliased `p` (the bell's count, polled by every open tab)."""
    live = f"{p}.deleted_at IS NULL"
    if not member.is_authenticated:
        return "1 = 0", []
    if member.is_staff:
        return f"({n}.post_id IS NULL OR {live})", []
    readable, params = readable_posts_sql(member, p)
    moderated = (f"{n}.community_id IN (SELECT community_id FROM {_MEMBERSHIP} WHERE member_id = %s"
                 f" AND role IN ('{Role.OWNER}', '{Role.MODERATOR}'))")
    return (f"({n}.post_id IS NULL OR ({live} AND {readable}))"
            f" AND ({n}.kind <> 'join_request' OR {moderated})", [*params, member.id])


def readable_attachments(member: Member) -> Q:
    """A Q on Attachment: files on a live post the member may read (staff: any live post), not
    removed themselves. The download view, thumbnails, the API and every list of files use it."""
    live = Q(post__deleted_at__isnull=True, removed_at__isnull=True)
    if member.is_authenticated and member.is_staff:
        return live
    return (live & readable_communities_rule(member, field="post__community_id").q
            & _post_state_rule(member, "p", prefix="post__").q)


def policies_to_accept(member: Member, community: Community | None = None) -> list[Policy]:
    """The versions in force (the organisation's policy, the community's guidelines) that the
    member has not accepted yet, each as its newest version (the one to read and accept). In
    force: the newest version that asks for acceptance; accepting it or any later one counts."""
    out = []
    for scope in [None, community.id] if community is not None else [None]:
        binding = (Policy.objects.filter(community_id=scope, requires_acceptance=True)
                   .order_by("-version").values_list("version", flat=True).first())
        if binding is None:
            continue
        if not Acceptance.objects.filter(member_id=member.id, policy__community_id=scope,
                                         policy__version__gte=binding).exists():
            out.append(Policy.objects.filter(community_id=scope).order_by("-version").first())
    return out


def require_policy_accepted(member: Member, community: Community) -> None:
    """PolicyNotAccepted (403) until the member accepted what is in force there."""
    from django.urls import reverse

    missing = policies_to_accept(member, community)
    if not missing:
        return
    first = missing[0]
    if first.community_id is None:
        raise PolicyNotAccepted(f"Read and accept “{first.title}” before you post, reply or react.",
                                url=reverse("web:policy"))
    raise PolicyNotAccepted(f"Read and accept the guidelines of {community.name} before you post, reply or "
                            "react there.", url=reverse("web:community_guidelines", args=[community.slug]))


def active_suspensions(member: Member) -> list[Suspension]:
    """The member's suspensions in force now (cached per request)."""
    if not member.is_authenticated:
        return []
    cache = getattr(member, "_sf_suspended", None)
    if cache is None:
        from django.utils import timezone

        cache = list(Suspension.objects.filter(member_id=member.id, until__gt=timezone.now(), lifted_at__isnull=True)
                     .order_by("-until"))
        member._sf_suspended = cache
    return cache


def suspension_in(member: Member, community: Community | None) -> Suspension | None:
    """The suspension that stops the member writing there (a platform one anywhere), or None."""
    for s in active_suspensions(member):
        if s.community_id is None or (community is not None and s.community_id == community.id):
            return s
    return None


def require_not_suspended(member: Member, community: Community | None) -> None:
    """Forbidden (code `suspended`) while a suspension applies: posting, replying, reacting, flagging."""
    found = suspension_in(member, community)
    if found is None:
        return
    where = "on this platform" if found.community_id is None else f"in {community.name}"
    raise Forbidden(f"You are suspended {where} until {found.until:%-d %B %Y, %H:%M} UTC: {found.reason}",
                    field=None, code="suspended")


def require_may_attach(member: Member, post: Post) -> None:
    """Only the author adds files, and only while the post is live."""
    if post.author_id != member.id:
        raise Forbidden("Only the author may attach files to a post.", field="post")
    if post.is_removed:
        raise Conflict("This post was removed; it takes no more files.", field="post")


def readable_posts_filter(member: Member) -> Q:
    """A Q on Post limiting to posts the member may read."""
    return readable_posts_rule(member).q


def readable_posts_sql(viewer: Member, alias: str = "p", *, published_only: bool = False) -> tuple[str, list]:
    """The same policy as an SQL condition on the post table aliased `alias` (see
    readable_posts_rule for `published_only`)."""
    rule = readable_posts_rule(viewer, alias, published_only=published_only)
    return rule.sql, list(rule.params)


# --- the external boundary (docs/security.md) ---------------------------------------------------
#
# Employees and staff see every active member. An external member (customer, partner,
# supplier, shareholder, public) sees, among active members: themselves; the members of every
# community they may read (what its member list shows them anyway); and the other external
# members of their own organisation (same non-empty `organisation`, any external kind). With
# SOCIALFABRIC_EXTERNALS_SEE_DIRECTORY they see every active member. Never, whatever the
# setting: the company's formal structure (units, levels, managers, reports): see
# sees_structure.


def _externals_see_directory() -> bool:
    from django.conf import settings

    return bool(getattr(settings, "SOCIALFABRIC_EXTERNALS_SEE_DIRECTORY", False))


def _bounded(viewer: Member) -> bool:
    """Whether the external boundary narrows whom `viewer` sees (a signed-in external member)."""
    return viewer.is_external and not viewer.is_staff and not _externals_see_directory()


def _shared_member_ids(viewer: Member) -> set[int]:
    """Ids of the members of the communities the viewer may read (cached per request, like them)."""
    cache = getattr(viewer, "_sf_shared_members", None)
    if cache is None:
        readable = readable_community_ids(viewer)
        cache = set(Membership.objects.filter(community_id__in=readable).values_list("member_id", flat=True))
        viewer._sf_shared_members = cache
    return cache


def visible_members_rule(viewer: Member, alias: str = "m") -> Rule:
    """Members the viewer may see (directory, search, profiles, photos, follows, mentions, lists of people),
    as a Q on Member and as SQL on the member table aliased `alias`."""
    if not viewer.is_authenticated:
        return NOTHING
    if not _bounded(viewer):
        return Rule(lambda: Q(is_active=True), f"{alias}.is_active = %s", (True,))

    def bounded() -> Q:
        shared = Membership.objects.filter(community_id__in=readable_community_ids(viewer)).values("member_id")
        q = Q(id=viewer.id) | Q(id__in=shared)  # a subquery: a big community is no long parameter list
        if viewer.organisation:
            q |= Q(organisation=viewer.organisation) & ~Q(stakeholder=Stakeholder.EMPLOYEE)
        return Q(is_active=True) & q

    readable = _ids_sql(readable_community_ids(viewer))
    sql = (f"{alias}.id = %s OR {alias}.id IN (SELECT member_id FROM {_MEMBERSHIP} WHERE community_id IN ({readable}))")
    params: tuple = (True, viewer.id)
    if viewer.organisation:
        sql += f" OR ({alias}.organisation = %s AND {alias}.stakeholder <> %s)"
        params += (viewer.organisation, str(Stakeholder.EMPLOYEE))
    return Rule(bounded, f"{alias}.is_active = %s AND ({sql})", params)


def visible_members(viewer: Member) -> Q:
    """Members the viewer may see (directory, profiles, lists of people): see visible_members_rule."""
    return visible_members_rule(viewer).q


def can_see_member(viewer: Member, member: Member) -> bool:
    """The row form of visible_members."""
    if not (viewer.is_authenticated and member.is_active):
        return False
    if not _bounded(viewer) or member.id == viewer.id:
        return True
    if viewer.organisation and member.organisation == viewer.organisation and member.is_external:
        return True
    return member.id in _shared_member_ids(viewer)


def sees_structure(viewer: Member) -> bool:
    """Whether the viewer may see the company's formal structure: the unit tree, levels, managers
    and reporting lines. Employees and staff do; external members never (the directory setting
    does not change this)."""
    return viewer.is_authenticated and (viewer.is_staff or not viewer.is_external)


def require_sees_structure(viewer: Member) -> None:
    """NotFound (never 403: no oracle) for a unit's page or the unit list to an external member."""
    if not sees_structure(viewer):
        raise NotFound("No such unit.", field="unit")


def filter_readable_ids(member: Member, community_ids: Iterable[int]) -> set[int]:
    return set(community_ids) & readable_community_ids(member)


def can_see_insights(member: Member) -> bool:
    return member.is_authenticated and member.is_active and (member.is_staff or member.is_analyst)


def require_insights(member: Member) -> None:
    if not can_see_insights(member):
        raise Forbidden("Only analysts and admins can see the insights.", field=None)


def counted_in_insights_sql(column: str) -> tuple[str, list]:
    """SQL condition on a community id column: the act may count in a platform insights report
    (no community, or one that is not secret)."""
    return (f"({column} IS NULL OR {column} NOT IN (SELECT id FROM {Community._meta.db_table} WHERE visibility = %s))",
            [Visibility.SECRET])


def sees_names_in_insights(member: Member) -> bool:
    """Person-level figures name people for analysts; others get stable pseudonyms."""
    return member.is_authenticated and member.is_analyst


# --- the rules as yes/no answers, for pages that show or hide a control -----------------------


def can_create_community(member: Member) -> bool:
    """Employees create communities; external stakeholders do not, unless they are staff."""
    return member.is_authenticated and (not member.is_external or member.is_staff)


def can_post(member: Member, community: Community, kind: str = "discussion") -> bool:
    """Whether `member` may start a thread of `kind` (or, with kind "reply", reply) in `community`.

    The yes/no form of require_can_post, so a page offers exactly what the service accepts.
    """
    try:
        require_can_post(member, community, kind)
    except (Forbidden, NotFound):
        return False
    return True


def can_accept_answer(member: Member, question: Post) -> bool:
    """The asker or a community moderator marks a reply as the answer to a live question."""
    return (question.kind == PostKind.QUESTION and not question.is_removed and member.is_authenticated
            and (question.author_id == member.id or can_moderate(member, question.community)))


def require_visible_member(viewer: Member, member: Member) -> None:
    if not can_see_member(viewer, member):
        raise NotFound("No such member.", field="member")


def require_can_edit_post(member: Member, post: Post) -> None:
    """Only the author edits a post, and only while it is not removed (what edit_post decides)."""
    if post.author_id != member.id:
        raise Forbidden("Only the author may edit a post.", field="post")
    if post.is_removed:
        raise Conflict("A removed post cannot be edited.", field="post")


def can_administer_people(member: Member) -> bool:
    """Staff deactivate accounts (and, with the staff area, invite and grant roles)."""
    return member.is_authenticated and member.is_active and member.is_staff


def require_administers_people(member: Member) -> None:
    if not can_administer_people(member):
        raise Forbidden("Only administrators may do that.", field=None)


# Roles staff grant on the staff pages: the role's name -> the member's flag.
STAFF_ROLES = {"analyst": "is_analyst", "staff": "is_staff", "compliance": "is_compliance_officer"}


def require_may_change_role(admin: Member, member: Member, role: object, *, grant: bool) -> str:
    """Who may grant or revoke a platform role; returns the member's flag for `role`.

    Staff only; nobody revokes their own staff role (someone must remain, and a slip would lock
    them out); only a superuser changes a superuser's roles; external stakeholders are never
    staff or analysts (both see across the whole organisation, which is the boundary they are
    outside of); a deactivated account gets no new role."""
    require_administers_people(admin)
    if role not in STAFF_ROLES:
        raise InvalidInput(f"The role must be one of: {', '.join(STAFF_ROLES)}.", field="role")
    if member.id == admin.id and role == "staff" and not grant:
        raise Forbidden("You cannot revoke your own staff role; ask another administrator.", field="role")
    if member.is_superuser and not admin.is_superuser:
        raise Forbidden("Only a superuser may change the roles of a superuser.", field="role")
    if grant and member.is_external:
        raise Forbidden(f"{member.name} is an external stakeholder: staff and analysts see across the whole "
                        "organisation, so these roles are for employees only.", field="role")
    if grant and not member.is_active:
        raise Forbidden("This account is deactivated: reactivate it first.", field="role")
    return STAFF_ROLES[role]


def role_change_refusal(admin: Member, member: Member, role: str, *, grant: bool) -> str | None:
    """Why `admin` may not grant (or revoke) `role` to `member`, or None when they may: the
    yes/no form of require_may_change_role, with the reason, for the staff card to show in
    place of a button the service would refuse."""
    try:
        require_may_change_role(admin, member, role, grant=grant)
    except (Forbidden, InvalidInput) as refused:
        return refused.message
    return None


def require_may_deactivate(admin: Member, member: Member) -> None:
    """Staff end other people's accounts. Not their own (someone must remain able to administer;
    a slip would lock them out), and only a superuser ends a superuser's account (the same
    protection as their roles: the account that set the platform up outranks staff)."""
    require_administers_people(admin)
    if member.id == admin.id:
        raise Conflict("You cannot deactivate your own account; ask another administrator.", field="member")
    if member.is_superuser and not admin.is_superuser:
        raise Forbidden("Only a superuser may deactivate a superuser's account.", field="member")


def is_erased(member: Member) -> bool:
    """A former member whose personal data was erased (or a pseudonym retention made)."""
    return Erasure.objects.filter(member_id=member.id).exists()


def require_not_erased(member: Member) -> None:
    """An erased account is never used again: no reactivation, no roles, no sign-in link."""
    if is_erased(member):
        raise Conflict("This former member's personal data was erased: the account cannot be used again.",
                       field="member")


def can_deactivate(admin: Member, member: Member) -> bool:
    """The yes/no form of require_may_deactivate (whether the account is active is the act's
    own business: a deactivated account offers reactivation instead)."""
    try:
        require_may_deactivate(admin, member)
    except (Conflict, Forbidden):
        return False
    return True


# --- personal access tokens ------------------------------------------------------------------

def require_may_create_token(member: Member, by_token: object | None) -> None:
    """Tokens are made from an interactive session only: a request authenticated by a token
    (`by_token`, the token it came with) makes none, so a leaked token cannot mint others that
    would outlive its revocation."""
    if by_token is not None:
        raise Forbidden("A token cannot create tokens: create one while signed in (Settings, Access tokens).",
                        field=None)


def require_may_revoke_tokens_of(admin: Member, member: Member) -> None:
    """Staff revoke any member's tokens from the staff pages; a superuser's only a superuser
    (the same protection as their account and roles)."""
    require_administers_people(admin)
    if member.is_superuser and not admin.is_superuser and member.id != admin.id:
        raise Forbidden("Only a superuser may revoke a superuser's tokens.", field="token")


def can_revoke_tokens_of(admin: Member, member: Member) -> bool:
    try:
        require_may_revoke_tokens_of(admin, member)
    except Forbidden:
        return False
    return True


# --- community roles -------------------------------------------------------------------------
#
# Moderators add and remove plain members; only owners (and staff) grant, change or take away
# the moderator and owner roles, or remove a moderator or an owner. That a community keeps at
# least one owner is the services' check (it needs the rows, under a lock).

def can_manage_roles(member: Member, community: Community) -> bool:
    if not member.is_authenticated:
        return False
    return member.is_staff or _role(member, community) == Role.OWNER


def require_may_add_with_role(actor: Member, community: Community, role: str) -> None:
    require_moderator(actor, community)
    if role != Role.MEMBER and not can_manage_roles(actor, community):
        raise Forbidden("Only an owner makes someone a moderator or an owner.", field="role")


def require_may_set_role(actor: Member, community: Community, current: str, new: str) -> None:
    require_moderator(actor, community)
    if (current != Role.MEMBER or new != Role.MEMBER) and not can_manage_roles(actor, community):
        raise Forbidden("Only an owner grants or takes away the moderator and owner roles.", field="role")


def require_may_remove_member(actor: Member, community: Community, role: str) -> None:
    require_moderator(actor, community)
    if role != Role.MEMBER and not can_manage_roles(actor, community):
        raise Forbidden("Only an owner removes a moderator or an owner.", field="member")
