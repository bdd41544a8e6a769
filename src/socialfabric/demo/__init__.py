"""The demo organisation: `generate()` (generator), the bulk writer (writer) and the
organisation's shape and words (vocabulary)."""

from socialfabric.bulk import BulkWriter
from socialfabric.demo.generator import (
    ADMIN_LOGIN,
    DEFAULT_END,
    DEMO_LOGIN,
    DEMO_PASSWORD,
    DemoResult,
    demo_password_hash,
    generate,
)

__all__ = [
    "ADMIN_LOGIN",
    "DEFAULT_END",
    "DEMO_LOGIN",
    "DEMO_PASSWORD",
    "BulkWriter",
    "DemoResult",
    "demo_password_hash",
    "generate",
]
