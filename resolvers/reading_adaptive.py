"""The adaptive content engine: pages rewritten toward a Flesch-Kincaid grade.

``level_page`` looks in the cache first: an earlier rewrite of the same page (same
book, page number and source text) whose target is within ``CACHE_TOLERANCE``
(±0.1, the reference's tolerance) of the one asked for is answered as is, with
``cached: true``. Otherwise the LLM rewrites the text; the result is measured with
the readability library, and when its grade is more than ``ACCEPT_WITHIN`` from the
target the LLM is asked again with the measured grade, up to ``MAX_ATTEMPTS`` in
all. The closest attempt is kept, cached under the target asked for, and returned
with its measured grade.

``adapt`` does a whole catalog book (its pages in parallel, each through
``level_page`` and its cache) and caches the book under its ``target_fk_grade`` with
the same ±0.1 tolerance. The LLM being unreachable or failing is 503
``llm_unavailable`` (the reference's "503 GPT unavailable"); its rate limit stays
429 with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass

from pydantic import ConfigDict, Field
from sqlalchemy import func, select

from core.context import Context
from core.errors import NotFound, Upstream
from core.readability import fk_grade_async
from models.reading import Adaptation, BookPage, LeveledPage
from resolvers.reading import (
    LLM_UNAVAILABLE,
    BookId,
    Input,
    PageNumber,
    llm_call,
    require_internal,
)

CACHE_TOLERANCE = 0.1
ACCEPT_WITHIN = 0.5
MAX_ATTEMPTS = 3
PAGE_TEXT_MAX = 5_000
PARALLEL_PAGES = 4
SYSTEM = ("You rewrite pages of children's books for a given reading level (Flesch-Kincaid "
          "grade). Keep the story, the names and the meaning; change sentence length and "
          "word choice only. Answer with the rewritten page text and nothing else.")


class LevelPageIn(Input):
    """A page to rewrite (the reference's camelCase fields)."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    book_id: BookId = Field(alias="bookId")
    page_number: PageNumber = Field(alias="pageNumber")
    text: str = Field(min_length=1, max_length=PAGE_TEXT_MAX)
    target_fk_level: float = Field(alias="targetFkLevel", ge=0, le=18)


class AdaptIn(Input):
    book_id: BookId
    target_fk_grade: float = Field(ge=0, le=18)


@dataclass(frozen=True)
class LeveledText:
    text: str
    actual_fk: float
    cached: bool


@dataclass(frozen=True)
class AdaptedBook:
    pages: list[tuple[int, str]]
    cached: bool


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _near(column, target: float):
    # The tolerance is inclusive; the epsilon absorbs float representation (3.6 - 3.5).
    return func.abs(column - target) <= CACHE_TOLERANCE + 1e-9


async def _rewrite(ctx: Context, text: str, target: float) -> tuple[str, float]:
    """The LLM's closest rewrite of ``text`` to ``target`` within MAX_ATTEMPTS."""
    best: tuple[str, float] | None = None
    messages = [{"role": "user", "content": f"Target Flesch-Kincaid grade: {target:.1f}\n\n"
                                            f"Page:\n{text}"}]
    for _ in range(MAX_ATTEMPTS):
        try:
            message = await llm_call(ctx.llm.complete(api_key=None, system=SYSTEM,
                                                      messages=messages, max_tokens=2048))
        except Upstream as exc:
            if exc.status == 429:
                raise
            raise Upstream(LLM_UNAVAILABLE, status=503, code="LLM_UNAVAILABLE") from None
        rewritten = "".join(b.text for b in message.content if b.type == "text").strip()
        if not rewritten:
            continue
        grade = await fk_grade_async(rewritten)
        if best is None or abs(grade - target) < abs(best[1] - target):
            best = (rewritten[:PAGE_TEXT_MAX * 2], grade)
        if abs(grade - target) <= ACCEPT_WITHIN:
            break
        messages += [{"role": "assistant", "content": rewritten},
                     {"role": "user", "content": f"That measures grade {grade:.1f}; the target "
                                                 f"is {target:.1f}. Rewrite it again."}]
    if best is None:
        raise Upstream(LLM_UNAVAILABLE, status=503, code="LLM_UNAVAILABLE")
    return best


async def level_page(ctx: Context, *, request: LevelPageIn) -> LeveledText:
    """A page's text toward a target grade: from the cache (±0.1) or rewritten by the LLM."""
    require_internal(ctx)
    source = _hash(request.text)
    target = request.target_fk_level
    async with ctx.db.session() as session:
        hit = (await session.execute(
            select(LeveledPage).where(LeveledPage.book_id == request.book_id,
                                      LeveledPage.page_number == request.page_number,
                                      LeveledPage.source_hash == source,
                                      _near(LeveledPage.target_fk, target))
            .order_by(func.abs(LeveledPage.target_fk - target), LeveledPage.id)
            .limit(1))).scalar_one_or_none()
    if hit is not None:
        return LeveledText(text=hit.text, actual_fk=hit.actual_fk, cached=True)
    text, grade = await _rewrite(ctx, request.text, target)
    async with ctx.db.transaction() as session:
        session.add(LeveledPage(book_id=request.book_id, page_number=request.page_number,
                                source_hash=source, target_fk=target, text=text,
                                actual_fk=grade))
    return LeveledText(text=text, actual_fk=grade, cached=False)


async def adapt(ctx: Context, *, request: AdaptIn) -> AdaptedBook:
    """A whole catalog book toward a grade, cached by grade within ±0.1."""
    require_internal(ctx)
    target = request.target_fk_grade
    async with ctx.db.session() as session:
        hit = (await session.execute(
            select(Adaptation).where(Adaptation.book_id == request.book_id,
                                     _near(Adaptation.target_fk_grade, target))
            .order_by(func.abs(Adaptation.target_fk_grade - target), Adaptation.id)
            .limit(1))).scalar_one_or_none()
        if hit is not None:
            return AdaptedBook(pages=[(p["page_number"], p["text"]) for p in hit.pages],
                               cached=True)
        pages = (await session.execute(select(BookPage).where(
            BookPage.book_id == request.book_id).order_by(BookPage.page_number))).scalars().all()
    if not pages:
        raise NotFound("Book not found")
    gate = asyncio.Semaphore(PARALLEL_PAGES)

    async def one(page: BookPage) -> tuple[int, str]:
        async with gate:
            leveled = await level_page(ctx, request=LevelPageIn(
                book_id=page.book_id, page_number=page.page_number, text=page.text,
                target_fk_level=target))
        return page.page_number, leveled.text

    adapted = await asyncio.gather(*(one(p) for p in pages))
    async with ctx.db.transaction() as session:
        session.add(Adaptation(book_id=request.book_id, target_fk_grade=target,
                               pages=[{"page_number": n, "text": t} for n, t in adapted]))
    return AdaptedBook(pages=list(adapted), cached=False)
