"""Unsaved rows holding a value of each column's type, for describing what a renderer
answers (the REST faces' OpenAPI document renders them and reads the shape)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import inspect as sa_inspect


class _Any(dict):
    """A JSON column's sample: any JSON value, so the schema says nothing of its type."""


ANY = _Any()


_SAMPLES: dict[type, Any] = {
    int: 1, str: "text", bool: True, float: 1.5, Decimal: Decimal("1.5"),
    datetime: datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), date: date(2026, 1, 2),
    uuid.UUID: uuid.UUID(int=1), dict: {}, list: [],
}


def sample(model: type, *, null: bool = False, **values: Any) -> Any:
    """An unsaved row of ``model`` holding a value of each column's type (with ``null``,
    None in each nullable column), and ``values``."""
    fields: dict[str, Any] = {}
    for attr in sa_inspect(model).column_attrs:
        column = attr.columns[0]
        if null and column.nullable:
            fields[attr.key] = None
            continue
        if isinstance(column.type, JSON):
            fields[attr.key] = ANY
            continue
        try:
            kind = column.type.python_type
        except NotImplementedError:
            kind = str
        fields[attr.key] = _SAMPLES.get(kind, "text")
    row = model()
    for key, value in {**fields, **values}.items():
        setattr(row, key, value)
    return row
