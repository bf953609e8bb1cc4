"""The reading platform's shared rules: who may call it, its input bounds, learners.

Every operation of the reading platform's learning loop is service-to-service
(``X-Internal-Key``) or for platform admins; see ``Viewer.require_internal``.
Inputs are pydantic models defined next to the resolver that takes them, so
the REST face and GraphQL validate with the same bounds; ``parse`` turns a
failure into ``Validation`` with the failing fields (never the input itself).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import Context
from core.errors import DomainError, NotFound, Upstream, Validation
from models.reading import BOOK_ID_LENGTH, WORD_LENGTH, Learner

M = TypeVar("M", bound=BaseModel)

# The bounds every input of the reading platform shares.
BookId = Annotated[str, StringConstraints(min_length=1, max_length=BOOK_ID_LENGTH,
                                          pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
PageNumber = Annotated[int, Field(ge=0, le=10_000)]
Word = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1,
                                        max_length=WORD_LENGTH)]
Millis = Annotated[int, Field(ge=0, le=2**53)]
MAX_PAGES = 10_000


class Input(BaseModel):
    """Inputs ignore fields they do not know (older and newer clients send more)."""

    model_config = ConfigDict(extra="ignore", frozen=True)


def parse(model: type[M], data: Any) -> M:
    """``data`` validated by ``model``; Validation naming the failing fields otherwise."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Validation("Invalid input", details={"fields": field_errors(exc)}) from None


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    """Each failure as ``{"field", "problem"}``; the offending value is never repeated."""
    return [{"field": ".".join(str(part) for part in error["loc"]) or "body",
             "problem": error["msg"][:200]} for error in exc.errors(include_url=False)]


async def ensure_learner(session: AsyncSession, learner_id: uuid.UUID) -> None:
    """Create the learner's row the first time the platform hears of them."""
    await session.execute(insert(Learner).values(id=learner_id)
                          .on_conflict_do_nothing(index_elements=[Learner.id]))


async def get_learner_or_raise(session: AsyncSession, learner_id: uuid.UUID) -> Learner:
    """The learner, or NotFound."""
    learner = (await session.execute(
        select(Learner).where(Learner.id == learner_id))).scalar_one_or_none()
    if learner is None:
        raise NotFound("Learner not found")
    return learner


LLM_UNAVAILABLE = "The language model is not available"


async def llm_call(call):
    """Await an LLM gateway call; a deployment without a key is 503 ``llm_unavailable``
    (the reference's "503 GPT unavailable"), other upstream failures keep their status."""
    try:
        return await call
    except DomainError as exc:
        if exc.code == "NO_API_KEY":
            raise Upstream(LLM_UNAVAILABLE, status=503, code="LLM_UNAVAILABLE") from None
        raise


def require_internal(ctx: Context) -> None:
    """Service-to-service operations: the internal key, or a platform admin."""
    ctx.viewer.require_internal()


def is_internal(viewer) -> bool:
    """Whether ``require_internal`` lets ``viewer`` through (for planned reads, whose
    other viewers get the general path's refusal)."""
    return viewer.is_authenticated and (viewer.is_internal_service or viewer.is_admin)
