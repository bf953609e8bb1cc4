"""Partial updates: the fields a client sent, and the nulls a column cannot take.

Every face sends only the fields it was given; an explicit null for a column
that cannot be null is refused here, once, for every face.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.errors import Validation


class _Omitted:
    def __repr__(self) -> str:
        return "OMITTED"


# The default of a keyword a caller did not send ("keep the stored value").
OMITTED: Any = _Omitted()


def sent(**values: Any) -> dict[str, Any]:
    """The keywords the caller actually sent (those not OMITTED)."""
    return {k: v for k, v in values.items() if v is not OMITTED}


def reject_nulls(model: type, changes: Mapping[str, Any]) -> None:
    """Validation naming the field when ``changes`` sets a NOT NULL column of ``model``
    to null."""
    columns = model.__table__.columns
    for name, value in changes.items():
        if value is None and name in columns and not columns[name].nullable:
            raise Validation(f"{name} must not be null", details={"field": name})
