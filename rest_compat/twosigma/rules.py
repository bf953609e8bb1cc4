"""Resolver checks as pydantic validators, so bad fields answer FastAPI's 422.

The rule itself stays in the resolver; this only turns its Validation error
into the ValueError pydantic reports as ``value_error`` at the field's ``loc``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import AfterValidator

from core.errors import Validation


def rule(check: Callable[[Any], Any]) -> AfterValidator:
    """A validator running ``check(value)``; its Validation message becomes the 422 ``msg``."""

    def validate(value: Any) -> Any:
        if value is None:
            return value
        try:
            result = check(value)
        except Validation as exc:
            raise ValueError(exc.message) from None
        return value if result is None else result

    return AfterValidator(validate)
