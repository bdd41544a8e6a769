"""The stakeholder vocabulary: who someone is to the organisation.

A module of its own, free of models, so that code that must not touch the database (the
insights file loader) speaks the same words as the rest of the platform.
"""

from __future__ import annotations

from django.db.models import TextChoices


class Stakeholder(TextChoices):
    EMPLOYEE = "employee", "Employee"
    CUSTOMER = "customer", "Customer"
    PARTNER = "partner", "Partner"
    SUPPLIER = "supplier", "Supplier"
    SHAREHOLDER = "shareholder", "Shareholder"
    PUBLIC = "public", "Public"


EXTERNAL_KINDS = frozenset(k for k in Stakeholder.values if k != Stakeholder.EMPLOYEE)


def is_employee(kind: str) -> bool:
    return kind == Stakeholder.EMPLOYEE
