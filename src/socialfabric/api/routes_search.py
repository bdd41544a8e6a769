"""Full-text search over what the caller may read (search.services: the read policy is in its statement)."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Router

from socialfabric import access
from socialfabric.api import present
from socialfabric.api.common import ok, viewer
from socialfabric.api.schemas import Cursor, Handle, Limit, PostKindName, SearchOut, SearchQuery, SearchSort, Slug
from socialfabric.attachments import services as attachments
from socialfabric.feed.services import annotate
from socialfabric.search import services as search

router = Router()


@router.get("/search", response=ok(SearchOut), tags=["search"], summary="Search posts, people, communities, topics")
def search_all(request: HttpRequest, q: SearchQuery, community: Slug | None = None, author: Handle | None = None,
               kind: PostKindName | None = None, unanswered: bool = False, since: date | None = None,
               until: date | None = None, sort: SearchSort = "relevance", cursor: Cursor | None = None,
               limit: Limit | None = None) -> dict:
    """Words must all appear; "a phrase" in quotes; -word must not. Filters: a community's address, an
    author's handle, a kind, unanswered questions, a date range (inclusive). Relevance ranks the newest
    500 matches (see docs/search.md); newest-first order reaches every match."""
    me = viewer(request)
    found = search.search(me, q, sort=sort, cursor=cursor, limit=limit, community=community, author=author,
                          kind=kind, unanswered=unanswered, since=since, until=until)
    items = annotate(me, attachments.of_posts(me, [h.post for h in found.hits]))
    structure = access.sees_structure(me)
    return {
        "items": [{"post": present.post(item), "title_html": h.title_html, "snippet_html": h.snippet_html}
                  for item, h in zip(items, found.hits, strict=True)],
        "next_cursor": found.next_cursor,
        "people": [present.member(m, structure=structure) for m in found.people],
        "communities": [present.community_ref(c) for c in found.communities],
        "topics": [t.name for t in found.topics],
    }
