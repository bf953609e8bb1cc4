"""Book recommendations for a learner of the reading platform.

A recommendation is a catalog book the learner has not completed, near their
reading level, favouring books that use words they tapped for help (their
vocabulary gaps, so they meet them again). Books within ``BAND`` grades of the
learner's level come first, those with more gap words (up to ``MAX_GAP_HITS``)
before the others, then the nearest grade, ties by id; books outside the band
follow by distance. The best ``LIMIT`` come back, each with a reason. A learner the
platform has not heard of yet gets books for the starting level (2.0).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from core.context import Context
from models.reading import Book, BookPage, Learner, ReadingSession, SessionWord
from resolvers.reading import require_internal

LIMIT = 10
START_LEVEL = 2.0
BAND = 2.0
MAX_GAP_HITS = 3
GAP_WORDS = 20
NEAR = 0.5
_WORD = re.compile(r"[a-z][a-z'-]*")


@dataclass(frozen=True)
class Recommendation:
    book: Book
    reason: str


def _reason(book: Book, level: float, hits: list[str]) -> str:
    if hits:
        return "Practises words you asked about: " + ", ".join(hits[:MAX_GAP_HITS])
    if abs(book.fk_grade - level) <= NEAR:
        return f"Right at your reading level (grade {book.fk_grade:.1f})"
    if book.fk_grade < level:
        return f"A comfortable read just below your level (grade {book.fk_grade:.1f})"
    return f"A small stretch above your level (grade {book.fk_grade:.1f})"


async def recommend(ctx: Context, *, learner_id: uuid.UUID) -> list[Recommendation]:
    """Up to ten books for the learner, best first, each with its reason."""
    require_internal(ctx)
    async with ctx.db.session() as session:
        level = (await session.execute(select(Learner.reading_level).where(
            Learner.id == learner_id))).scalar_one_or_none() or START_LEVEL
        read = set((await session.execute(select(ReadingSession.book_id).where(
            ReadingSession.learner_id == learner_id, ReadingSession.completed))).scalars())
        total = func.sum(SessionWord.count)
        gaps = list((await session.execute(
            select(SessionWord.word).where(SessionWord.learner_id == learner_id)
            .group_by(SessionWord.word).order_by(total.desc(), SessionWord.word)
            .limit(GAP_WORDS))).scalars())
        books = (await session.execute(select(Book).order_by(Book.id))).scalars().all()
        texts: dict[str, set[str]] = {}
        for book_id, text in await session.execute(select(BookPage.book_id, BookPage.text)):
            texts.setdefault(book_id, set()).update(_WORD.findall(text.lower()))
    ranked = []
    for book in books:
        if book.id in read:
            continue
        hits = [w for w in gaps if w in texts.get(book.id, ())]
        distance = abs(book.fk_grade - level)
        outside = distance > BAND + 1e-9
        rank = (outside, 0 if outside else -min(len(hits), MAX_GAP_HITS), distance, book.id)
        ranked.append((rank, book, [] if outside else hits))
    ranked.sort(key=lambda item: item[0])
    return [Recommendation(book=book, reason=_reason(book, level, hits))
            for _, book, hits in ranked[:LIMIT]]
