"""Request and response shapes of the REST API.

Inputs are typed loosely enough that the services make the business decisions (length
limits, choices that depend on the community), and strictly enough that wrong types,
missing fields and text the databases cannot store are refused before any service runs.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from django.conf import settings
from ninja import Field, Schema
from pydantic import AfterValidator

from socialfabric.communities.models import Audience, Role, Visibility
from socialfabric.conversations.models import ROOT_KINDS, PostKind, PostState, ReactionKind
from socialfabric.governance.models import FlagReason, WatchAction
from socialfabric.insights.models import ReportStatus, Window
from socialfabric.notifications.models import Channel, Frequency, Level
from socialfabric.notifications.models import Kind as NotificationKind
from socialfabric.org.models import TokenScope
from socialfabric.org.stakeholders import EXTERNAL_KINDS, Stakeholder
from socialfabric.paging import MAX_CURSOR_CHARS, MAX_ID


def _storable(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and lone surrogates (JSON "\ud800") are not UTF-8.
    if "\x00" in value:
        raise ValueError("Text must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Text must be valid Unicode.") from None
    return value


Text = Annotated[str, AfterValidator(_storable)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Slug = Annotated[str, Field(min_length=1, max_length=140), AfterValidator(_storable)]
Handle = Annotated[str, Field(min_length=1, max_length=60), AfterValidator(_storable)]
SearchText = Annotated[str, Field(max_length=100), AfterValidator(_storable)]
# The full-text search box: the service checks what is in it (search.query, at most 200 characters).
SearchQuery = Annotated[str, Field(max_length=200), AfterValidator(_storable)]
ExpertiseTag = Annotated[str, Field(max_length=100), AfterValidator(_storable)]
PhotoKey = Annotated[str, Field(max_length=64), AfterValidator(_storable)]
TopicName = Annotated[str, Field(min_length=1, max_length=65), AfterValidator(_storable)]
Cursor = Annotated[str, Field(max_length=MAX_CURSOR_CHARS), AfterValidator(_storable)]
Limit = Annotated[int, Field(ge=1, le=settings.SOCIALFABRIC_MAX_PAGE_SIZE)]

# The vocabularies come from the domain's own choices: one list of words, never restated here.
RootKind = Literal[tuple(k.value for k in ROOT_KINDS)]
ReactionKindName = Literal[tuple(ReactionKind.values)]
PostKindName = Literal[tuple(PostKind.values)]
SearchSort = Literal["relevance", "newest"]
RoleName = Literal[tuple(Role.values)]
StakeholderName = Literal[tuple(Stakeholder.values)]
ExternalKindName = Literal[tuple(k for k in Stakeholder.values if k in EXTERNAL_KINDS)]
VisibilityName = Literal[tuple(Visibility.values)]
AudienceName = Literal[tuple(Audience.values)]
WindowName = Literal[tuple(Window.values)]
ReportStatusName = Literal[tuple(ReportStatus.values)]


# --- errors -------------------------------------------------------------------------------

class ErrorDetail(Schema):
    code: str = Field(description="Stable machine code, e.g. invalid, not_found, conflict")
    message: str
    field: str | None = Field(None, description="The input at fault, where there is one")
    url: str | None = Field(None, description="policy_not_accepted: the page where the policy in force is "
                                              "read and accepted (GET /policy gives it here)")


class ErrorOut(Schema):
    error: ErrorDetail


# --- people and units ---------------------------------------------------------------------

class MemberRef(Schema):
    handle: str
    name: str


class UnitRef(Schema):
    slug: str
    name: str


class MemberOut(MemberRef):
    stakeholder: str
    organisation: str
    unit: UnitRef | None
    level: int | None


class PhotoOut(Schema):
    """Addresses of the member's photo, square WebP thumbnails; each changes when the photo does."""

    small: str = Field(description="64 × 64 pixels")
    medium: str = Field(description="128 × 128 pixels")
    large: str = Field(description="256 × 256 pixels")


class ProfileOut(MemberOut):
    manager: MemberRef | None
    followers: int
    following: int
    followed_by_me: bool
    bio: str = Field(description="Plain text, line breaks kept")
    expertise: list[str] = Field(description="Lower-case tags, in the member's order")
    photo: PhotoOut | None = Field(description="null when the member has no photo")


class MeOut(ProfileOut):
    email: str
    is_staff: bool
    is_analyst: bool


class ProfileIn(Schema):
    """Only the fields sent change. Limits (checked by the service): name 1 to 150 characters,
    bio up to 2,000, at most 20 expertise tags of up to 40 characters."""

    name: Text | None = None
    bio: Text | None = None
    expertise: list[Text] | None = Field(None, description='e.g. ["python", "supply chain"]; [] clears them')


class MemberPage(Schema):
    items: list[MemberOut]
    next_cursor: str | None


class UnitOut(UnitRef):
    parent: UnitRef | None


class UnitDetailOut(UnitOut):
    children: list[UnitRef]
    member_count: int


class UnitPage(Schema):
    items: list[UnitOut]
    next_cursor: str | None


class FollowOut(Schema):
    member: MemberOut
    since: datetime


class FollowPage(Schema):
    items: list[FollowOut]
    next_cursor: str | None


# --- communities and memberships ----------------------------------------------------------

class CommunityRef(Schema):
    slug: str
    name: str


class CommunityOut(CommunityRef):
    id: int
    purpose: str
    visibility: str
    audience: str
    external_kinds: list[str]
    member_count: int
    created_at: datetime
    my_role: str | None = Field(None, description="owner, moderator, member, or null when not a member")


class CommunityPage(Schema):
    items: list[CommunityOut]
    next_cursor: str | None


class CommunityIn(Schema):
    name: Text
    purpose: Text = ""
    visibility: VisibilityName = Visibility.OPEN.value
    audience: AudienceName = Audience.INTERNAL.value
    external_kinds: list[ExternalKindName] = []
    slug: Text | None = Field(None, description="The address; made from the name when left out")


class MembershipOut(Schema):
    member: MemberOut
    community: CommunityRef
    role: str
    joined_at: datetime


class MembershipPage(Schema):
    items: list[MembershipOut]
    next_cursor: str | None


class AddMemberIn(Schema):
    handle: Handle
    role: RoleName = "member"


class RoleIn(Schema):
    role: RoleName


class JoinRequestIn(Schema):
    message: Text = ""


class JoinRequestOut(Schema):
    id: int
    community: CommunityRef
    member: MemberOut
    message: str
    status: str
    created_at: datetime
    decided_at: datetime | None


class JoinRequestPage(Schema):
    items: list[JoinRequestOut]
    next_cursor: str | None


# --- posts --------------------------------------------------------------------------------

class AttachmentOut(Schema):
    id: int
    name: str = Field(description="The download name: the uploader's, with the extension of the type found")
    content_type: str = Field(description="Judged from the file's content, not its name")
    size: int = Field(description="Bytes")
    width: int | None = Field(description="Pixels, for images; null for other files")
    height: int | None
    url: str = Field(description="The file (images inline, other files as a download)")
    preview_url: str | None = Field(description="A WebP preview of an image; null for other files")
    created_at: datetime


class AttachmentList(Schema):
    items: list[AttachmentOut]


class PostOut(Schema):
    id: int
    kind: str
    title: str
    body: str = Field(description='Markdown source; "[removed]" once removed')
    body_html: str
    author: MemberRef
    community: CommunityRef
    parent: int | None = Field(description="The post this replies to; null for a thread's root")
    thread: int = Field(description="The root post of the thread")
    depth: int
    created_at: datetime
    last_activity_at: datetime
    edited: bool
    edited_at: datetime | None
    removed: bool
    reply_count: int
    accepted_answer: int | None
    state: Literal[tuple(PostState.values)] = Field(
        description="published; otherwise only its author and who decide about it read it: hidden or held "
                    "(moderators), pending, returned or rejected (compliance officers)")
    reactions: dict[str, int] = Field(description="Count per reaction kind")
    mine: list[str] = Field(description="The reaction kinds I gave")
    attachments: list[AttachmentOut] = Field(description="Files on the post that I may read")


class ReplyNode(PostOut):
    children: list[ReplyNode]


ReplyNode.model_rebuild()


class ThreadOut(Schema):
    post: PostOut
    replies: list[ReplyNode] = Field(description="Replies to the root, each with its own replies nested")


class FeedOut(Schema):
    items: list[PostOut]
    next_cursor: str | None


class PolicyOut(Schema):
    id: int
    version: int
    title: str
    body: str = Field(description="Markdown source")
    body_html: str
    requires_acceptance: bool = Field(description="Everyone accepts this version anew (false: a correction)")
    published_at: datetime
    community: CommunityRef | None = Field(description="null: the organisation's policy; else a community's guidelines")
    url: str = Field(description="The page where it is read and accepted")


class PolicyStatus(Schema):
    policy: PolicyOut | None = Field(description="The newest version; null when none was ever published")
    must_accept: bool = Field(description="True until I accept it: posting, replying and reacting answer "
                                          "403 policy_not_accepted meanwhile")
    accepted_at: datetime | None = Field(description="When I accepted this version")


class PolicyIn(Schema):
    title: Text
    body: Text
    requires_acceptance: bool = True


class AcceptanceOut(Schema):
    policy: PolicyOut
    accepted_at: datetime


class PostIn(Schema):
    kind: RootKind = "discussion"
    title: Text | None = None
    body: Text


class PostEditIn(Schema):
    body: Text
    title: Text | None = Field(None, description="Left out: the title stays as it is")


class ReplyIn(Schema):
    body: Text


class RevisionOut(Schema):
    id: int
    title: str
    body: str
    edited_by: MemberRef | None
    replaced_at: datetime


class RevisionPage(Schema):
    items: list[RevisionOut]
    next_cursor: str | None


class ReactionsOut(Schema):
    post: int
    reactions: dict[str, int]
    mine: list[str]


class AnswerIn(Schema):
    answer: Id = Field(description="The id of a reply in this question's thread")


# --- tokens -------------------------------------------------------------------------------

class TokenIn(Schema):
    name: Text
    scopes: list[TokenScope] = Field(["read", "write"], min_length=1, max_length=2,
                                     description="read: GET and HEAD only; write: every method (includes read)")
    expires_in_days: int | None = Field(90, ge=1, le=3650, description="Days until it stops working; null: never")


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    scopes: list[TokenScope]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The token itself: shown this once, never again")


class TokenPage(Schema):
    items: list[TokenOut]
    next_cursor: str | None


# --- insights -----------------------------------------------------------------------------

class ReportIn(Schema):
    since: date | None = Field(None, description="First day of activity counted (default: all)")
    until: date | None = Field(None, description="Day after the last one counted (default: up to now)")
    window: WindowName = Field(Window.MONTH.value, description="Step of the trend")
    min_group: int = Field(5, ge=1, le=1000, description="No person-level figure for a smaller group")


class ReportOut(Schema):
    id: int
    status: ReportStatusName
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    since: date | None
    until: date | None
    window: str
    min_group: int
    people: int | None
    interactions: int | None
    stage: str | None = Field(description="Roadmap stage reached; null when none yet or not ready")
    seconds: float | None
    error: str | None = Field(description="Why it failed; null otherwise")


class ReportDetailOut(ReportOut):
    result: dict | None = Field(description="The report, keys as in docs/insights.md; null until ready")


class ReportPage(Schema):
    items: list[ReportOut]
    next_cursor: str | None


class CsrfOut(Schema):
    csrf_token: str


# --- search -------------------------------------------------------------------------------

class SearchHitOut(Schema):
    post: PostOut
    title_html: str = Field(description="The title, HTML-escaped, the matched words in <mark>")
    snippet_html: str = Field(description="A passage of the body around the matched words, HTML-escaped, "
                                          "the matched words in <mark>")


class SearchOut(Schema):
    items: list[SearchHitOut] = Field(description="Posts and replies the caller may read, best match first "
                                                  "(or newest first)")
    next_cursor: str | None
    people: list[MemberOut] = Field(description="On the first page without filters: members whose name or "
                                                "handle holds every word")
    communities: list[CommunityRef] = Field(description="On the first page without filters: communities whose "
                                                        "name or purpose holds every word")
    topics: list[str] = Field(description="On the first page without filters: topics starting with the first word")


# --- notifications ------------------------------------------------------------------------

NotificationKindName = Literal[tuple(NotificationKind.values)]
ChannelName = Literal[tuple(Channel.values)]
FrequencyName = Literal[tuple(Frequency.values)]
LevelName = Literal[tuple(Level.values)]


class NotificationOut(Schema):
    id: int
    kind: NotificationKindName
    text: str = Field(description="One plain sentence, e.g. “Ana and 4 others reacted to your post in “Q3 plan””")
    actor: MemberRef | None
    others: int = Field(description="How many more people did the same (reactions gather)")
    post: int | None = Field(description="The post or reply it is about")
    thread: int | None = Field(description="The thread that post is in")
    community: CommunityRef | None
    url: str = Field(description="The page it leads to (the thread at the reply)")
    created_at: datetime
    updated_at: datetime
    read: bool


class NotificationPage(Schema):
    items: list[NotificationOut] = Field(description="Newest change first; only what the caller may read now")
    next_cursor: str | None
    unread: int


class UnreadOut(Schema):
    unread: int = Field(description="Unread notifications the caller may read now (the bell)")


class ReadAllOut(Schema):
    marked: int


class PreferencesOut(Schema):
    channels: dict[NotificationKindName, ChannelName] = Field(description="How each kind reaches the member")
    digest: FrequencyName


class PreferencesIn(Schema):
    channels: dict[NotificationKindName, ChannelName] | None = Field(None, description="Only the kinds to change")
    digest: FrequencyName | None = None


class WatchIn(Schema):
    level: LevelName


class WatchOut(Schema):
    community: CommunityRef
    level: LevelName


class TopicWatchIn(Schema):
    watching: bool


class TopicWatchOut(Schema):
    topic: str
    watching: bool


# --- moderation and compliance sign-off ---------------------------------------------------------

FlagReasonName = Literal[tuple(r for r in FlagReason.values if r != FlagReason.WATCHED_WORD)]
ModerationAction = Literal["dismiss", "hide", "restore", "remove", "warn", "suspend"]


class FlagIn(Schema):
    reason: FlagReasonName
    text: Text = Field("", description="What is wrong (needed with the reason other)")


class FlagOut(Schema):
    id: int
    post: int
    reason: str
    text: str
    created_at: datetime


class FlagSeen(Schema):
    reason: str
    text: str
    by: MemberRef | None = Field(description="null: raised by a watched word")
    created_at: datetime


class QueuedPost(Schema):
    id: int
    kind: str
    title: str
    body: str
    state: str
    author: MemberRef
    community: CommunityRef
    thread: int
    created_at: datetime


class QueueItemOut(Schema):
    post: QueuedPost
    flags: list[FlagSeen]
    reasons: dict[str, int]


class QueuePage(Schema):
    items: list[QueueItemOut]
    next_cursor: str | None


class ModerationIn(Schema):
    action: ModerationAction
    reason: Text = Field("", description="Told to the author; needed to warn or suspend")
    days: int | None = Field(None, description="suspend: for how many days (1 to 3650)")
    platform: bool = Field(False, description="suspend: from the whole platform (staff) instead of the community")


class ModerationOut(Schema):
    outcome: str


class WatchedWordIn(Schema):
    pattern: Text
    is_regex: bool = False
    action: Literal[tuple(WatchAction.values)]
    reason: Text = Field("", description="Shown to an author whose post it blocks")


class WatchedWordOut(Schema):
    id: int
    pattern: str
    is_regex: bool
    action: str
    reason: str
    created_at: datetime


class WatchedWordList(Schema):
    items: list[WatchedWordOut]


class RetentionRuleIn(Schema):
    community: Slug | None = Field(None, description="A community's address; none: the organisation-wide rule")
    days: int = Field(description="Keep posts and replies this many days")
    action: str | None = Field(None, description="`remove` their text (the default) or `anonymise` their authors")


class RetentionRuleOut(Schema):
    id: int
    community: CommunityRef | None
    days: int
    action: str
    updated_at: datetime


class LegalHoldIn(Schema):
    member: Handle | None = Field(None, description="A member's handle (former members too)")
    community: Slug | None = Field(None, description="A community's address")
    reason: Text = Field(description="The matter or case")


class LegalHoldOut(Schema):
    id: int
    member: MemberRef | None
    community: CommunityRef | None
    reason: str
    placed_at: datetime
    lifted_at: datetime | None


class RetentionRunOut(Schema):
    id: int
    started_at: datetime
    finished_at: datetime | None
    started_by: MemberRef | None = Field(description="Empty for the daily run")
    rules: int
    removed: int
    revisions: int
    anonymised: int
    held: int


class RetentionOut(Schema):
    rules: list[RetentionRuleOut]
    holds: list[LegalHoldOut] = Field(description="The active ones")
    runs: list[RetentionRunOut] = Field(description="The latest 20")


class Queued(Schema):
    queued: bool


class DataExportOut(Schema):
    id: int
    state: str = Field(description="queued, ready, failed or expired")
    requested_at: datetime
    ready_at: datetime | None
    expires_at: datetime | None = Field(description="The download link works until then")
    size: int = Field(description="Bytes of the ZIP")
    counts: dict[str, int] = Field(description="Records in each file")
    download_url: str | None = Field(description="While it is ready: the ZIP, for the member who asked alone")


class ErasureIn(Schema):
    keep_text: bool = Field(False, description="Keep the text of their posts, signed by the former member")


class ErasureOut(Schema):
    member: MemberRef = Field(description="The former member the person now is")
    erased_at: datetime
    text_kept: bool
    posts: int
    removed: int


class SuspensionOut(Schema):
    id: int
    member: MemberRef
    community: CommunityRef | None
    until: datetime
    reason: str
    lifted_at: datetime | None


class ApprovalRuleIn(Schema):
    kinds: list[StakeholderName] = Field(default_factory=list)
    roles: list[RoleName] = Field(default_factory=list)
    replies: bool = False


class ApprovalRuleOut(Schema):
    kinds: list[str] = Field(description="Stakeholder kinds whose posts wait for approval (empty: none)")
    roles: list[str] = Field(description="Community roles whose posts wait for approval")
    replies: bool = Field(description="Replies wait too")


class WaitingOut(Schema):
    post: QueuedPost
    submitted_at: datetime
    thread_title: str


class ApprovalPage(Schema):
    items: list[WaitingOut]
    next_cursor: str | None


class SignOffIn(Schema):
    decision: Literal["approve", "reject", "return"]
    reason: Text = Field("", description="Told to the author; needed to reject or return")


class AuditRecord(Schema):
    id: int
    created_at: datetime
    verb: str
    actor: str = Field(description="The actor's handle; empty for the platform's own acts")
    object_type: str
    object_id: int | None
    target: str = Field(description="The handle of the person acted towards, if any")
    community: str = Field(description="The community's address, if any")
    details: dict


class AuditPage(Schema):
    items: list[AuditRecord]
    next_cursor: str | None
