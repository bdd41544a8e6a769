"""Template filters for values that feed rows carry as plain strings (not model instances)."""

from __future__ import annotations

from django import template

from socialfabric.conversations.models import PostKind
from socialfabric.org.models import Stakeholder

register = template.Library()

_KINDS = dict(PostKind.choices)
_STAKEHOLDERS = dict(Stakeholder.choices)


@register.filter
def kind_label(kind: str) -> str:
    return _KINDS.get(kind, str(kind).capitalize())


@register.filter
def stakeholder_label(kind: str) -> str:
    return _STAKEHOLDERS.get(kind, str(kind).capitalize())
