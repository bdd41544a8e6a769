"""What a post meets before it is published: the watched words, and the community's sign-off rule.

Read-only: conversations.services asks these while it writes the post, and decides its state
from the answers (docs/governance.md).

A watched word is a plain word or phrase (matched whole, any case) or a regular expression. A
regular expression is refused when it could take exponential or runaway polynomial time on a
post (ReDoS): statically, a repetition of something that itself repeats or of alternatives that
can start alike (`(a+)+`, `(a|aa)*`); then by timing it on probe texts of growing length and
projecting the time to the longest post the platform takes.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings

from socialfabric.communities.models import Community, Membership
from socialfabric.errors import InvalidInput
from socialfabric.governance.models import ApprovalRule, WatchAction, WatchedWord
from socialfabric.org.models import Member

try:  # Python 3.11+
    from re import _constants as sre_constants
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

MAX_PATTERN_CHARS = 200
# A regular expression may spend at most this long on the longest post the platform takes.
MAX_MATCH_SECONDS = 0.05
_STRENGTH = {WatchAction.BLOCK: 3, WatchAction.HOLD: 2, WatchAction.FLAG: 1}
_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT,
            getattr(sre_constants, "POSSESSIVE_REPEAT", sre_constants.MAX_REPEAT)}


@dataclass(frozen=True)
class Match:
    word: WatchedWord
    text: str  # what it matched, for the author's message and the moderators' queue


# --- checking a pattern when staff add it -----------------------------------------------------

def _repeats(items) -> bool:
    """Whether a parsed (sub)pattern can repeat anything more than once."""
    for op, arg in items:
        if op in _REPEATS and arg[1] > 1:
            return True
        for sub in _children(op, arg):
            if _repeats(sub):
                return True
    return False


def _children(op, arg) -> list:
    if op in _REPEATS:
        return [arg[2]]
    if op == sre_constants.SUBPATTERN:
        return [arg[-1]]
    if op == sre_constants.BRANCH:
        return list(arg[1])
    if op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
        return [arg[1]]
    if op == sre_constants.GROUPREF_EXISTS:
        return [a for a in arg[1:] if a is not None]
    return []


def _first(items) -> set | None:
    """The literal characters a (sub)pattern can start with, or None when that is open-ended
    (a class, any character, an empty alternative)."""
    for op, arg in items:
        if op == sre_constants.LITERAL:
            return {chr(arg).lower()}
        if op == sre_constants.SUBPATTERN:
            return _first(arg[-1])
        if op == sre_constants.AT:
            continue
        return None
    return None


def _overlapping(branches) -> bool:
    seen: set = set()
    for branch in branches:
        first = _first(branch)
        if first is None or first & seen:
            return True
        seen |= first
    return False


def _exponential(items, inside_repeat: bool = False) -> str | None:
    """Why the parsed pattern can backtrack exponentially, or None."""
    for op, arg in items:
        if op in _REPEATS:
            unbounded = arg[1] > 1
            if unbounded and inside_repeat is False and _repeats(arg[2]):
                return "it repeats something that itself repeats, such as (a+)+"
            found = _exponential(arg[2], inside_repeat or unbounded)
            if found:
                return found
            continue
        if op == sre_constants.BRANCH and inside_repeat and _overlapping(arg[1]):
            return "it repeats alternatives that can start alike, such as (a|aa)*"
        for sub in _children(op, arg):
            found = _exponential(sub, inside_repeat)
            if found:
                return found
    return None


def _probes(pattern: str) -> list[str]:
    chars = {c for c in pattern if c.isalnum() or c in " -_.@"} | {"a", "0", " ", "."}
    return sorted(chars)[:24]


def _timed(compiled: re.Pattern, text: str) -> float:
    start = time.perf_counter()
    compiled.search(text)
    return time.perf_counter() - start


def check_regex(pattern: str) -> re.Pattern:
    """The compiled pattern, or InvalidInput (field `pattern`) saying why it is refused."""
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
        parsed = sre_parse.parse(pattern, re.IGNORECASE)
    except (re.error, OverflowError, RecursionError) as bad:
        raise InvalidInput(f"This is not a valid regular expression: {bad}.", field="pattern") from None
    why = _exponential(list(parsed))
    if why:
        raise InvalidInput(f"This regular expression could take exponential time on a post: {why}.",
                           field="pattern")
    if compiled.search(""):
        raise InvalidInput("This regular expression matches an empty text, so it would match every post.",
                           field="pattern")
    # Polynomial blow-ups (`\s*\s*\s*x`): time growing probes and project to the longest post.
    longest = settings.SOCIALFABRIC_MAX_BODY_CHARS
    for c in _probes(pattern):
        if _timed(compiled, c * 60 + "\x00") > MAX_MATCH_SECONDS / 10:
            break
        short = _timed(compiled, c * 250 + "\x00")
        if short > MAX_MATCH_SECONDS:
            break
        long = _timed(compiled, c * 1000 + "\x00")
        if long > MAX_MATCH_SECONDS:
            break
        # Four times the text: four times the time when linear, sixteen when quadratic, ...
        power = min(4.0, max(1.0, math.log(max(long, 1e-6) / max(short, 1e-6), 4)))
        if long * (longest / 1000) ** power > MAX_MATCH_SECONDS:
            break
    else:
        return compiled
    raise InvalidInput("This regular expression takes too long on long posts (it backtracks): avoid adjacent "
                       "open-ended repetitions, and bound them (.{0,40} rather than .*).", field="pattern")


def check_pattern(pattern: object, is_regex: bool) -> str:
    if not isinstance(pattern, str) or not pattern.strip():
        raise InvalidInput("Give the word, phrase or regular expression to watch for.", field="pattern")
    pattern = pattern.strip() if not is_regex else pattern
    if len(pattern) > MAX_PATTERN_CHARS:
        raise InvalidInput(f"A pattern has at most {MAX_PATTERN_CHARS} characters.", field="pattern")
    if "\x00" in pattern:
        raise InvalidInput("The pattern contains a NUL character.", field="pattern")
    if is_regex:
        check_regex(pattern)
    return pattern


@lru_cache(maxsize=1024)
def _compiled(pattern: str, is_regex: bool) -> re.Pattern:
    if is_regex:
        return re.compile(pattern, re.IGNORECASE)
    # A plain word matches whole words only ("ass" is not in "class"), any case.
    return re.compile(r"(?<!\w)" + re.escape(pattern) + r"(?!\w)", re.IGNORECASE)


# --- screening a post -------------------------------------------------------------------------

def watched_match(text: str) -> Match | None:
    """The strongest watched word the text meets (block over hold over flag), or None."""
    best: Match | None = None
    for word in WatchedWord.objects.all():
        found = _compiled(word.pattern, word.is_regex).search(text)
        if found and (best is None or _STRENGTH[word.action] > _STRENGTH[best.word.action]):
            best = Match(word, found.group(0)[:80])
            if word.action == WatchAction.BLOCK:
                break
    return best


def refuse_if_blocked(found: Match | None) -> None:
    if found is not None and found.word.action == WatchAction.BLOCK:
        reason = f" {found.word.reason}" if found.word.reason else ""
        raise InvalidInput(f"This text contains “{found.text}”, which this organisation does not allow in "
                           f"posts.{reason}", field="body", code="blocked")


def needs_sign_off(member: Member, community: Community, *, reply: bool) -> bool:
    """Whether the community's approval rule holds this member's post (or reply) for a compliance
    officer. Compliance officers' own posts go out at once (they would approve them)."""
    if member.is_compliance_officer:
        return False
    rule = ApprovalRule.objects.filter(community=community).first()
    if rule is None or (reply and not rule.replies):
        return False
    if member.stakeholder in (rule.kinds or []):
        return True
    if rule.roles:
        role = Membership.objects.filter(member=member, community=community).values_list("role", flat=True).first()
        return role in rule.roles
    return False
