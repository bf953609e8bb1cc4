"""GraphQL for the reading platform's content: recommendations and the adaptive engine.

The same resolvers as the reader app's recommendations and the adaptive content
engine, with the same rules (``X-Internal-Key`` or a platform admin).
"""

from __future__ import annotations

import uuid

import strawberry
from strawberry.types import Info

from resolvers import reading_adaptive, reading_recommendations
from resolvers.reading import parse
from schema.reading import ReadingBook


@strawberry.type(description="A book recommended to a learner, and why.")
class BookRecommendation:
    book: ReadingBook = strawberry.field(description="The book.")
    reason: str = strawberry.field(description="Why it suits the learner.")


@strawberry.input(description="A page to rewrite toward a Flesch-Kincaid grade.")
class LevelPageInput:
    book_id: str = strawberry.field(description="The book the page belongs to.")
    page_number: int = strawberry.field(description="The page, 0–10,000.")
    text: str = strawberry.field(description="The page's text (1–5,000 characters).")
    target_fk_level: float = strawberry.field(description="The grade to reach, 0–18.")


@strawberry.type(description="A page rewritten toward a grade.")
class LeveledPage:
    leveled_text: str = strawberry.field(description="The rewritten text.")
    actual_fk_score: float = strawberry.field(description="Its grade, measured by the "
                                                          "readability library.")
    cached: bool = strawberry.field(description="Whether it came from the cache (±0.1).")


@strawberry.input(description="A catalog book to rewrite toward a grade.")
class AdaptBookInput:
    book_id: str = strawberry.field(description="The catalog book.")
    target_fk_grade: float = strawberry.field(description="The grade to reach, 0–18.")


@strawberry.type(description="One page of an adapted book.")
class AdaptedPage:
    page_number: int = strawberry.field(description="The page.")
    text: str = strawberry.field(description="Its rewritten text.")


@strawberry.type(description="A catalog book rewritten toward a grade.")
class AdaptedBook:
    adapted_pages: list[AdaptedPage] = strawberry.field(description="The pages, in order.")
    cached: bool = strawberry.field(description="Whether it came from the cache (±0.1).")


@strawberry.type
class ReadingContentQuery:
    @strawberry.field(description="Up to ten books near the learner's level, favouring their "
                                  "vocabulary gaps (services and admins).")
    async def book_recommendations(self, info: Info,
                                   learner_id: uuid.UUID) -> list[BookRecommendation]:
        picks = await reading_recommendations.recommend(info.context, learner_id=learner_id)
        return [BookRecommendation(book=ReadingBook.from_model(p.book), reason=p.reason)
                for p in picks]


@strawberry.type
class ReadingContentMutation:
    @strawberry.mutation(description="Rewrite a page toward a grade with the LLM, or take it "
                                     "from the cache (services and admins).")
    async def level_page(self, info: Info, input: LevelPageInput) -> LeveledPage:
        request = parse(reading_adaptive.LevelPageIn, strawberry.asdict(input))
        leveled = await reading_adaptive.level_page(info.context, request=request)
        return LeveledPage(leveled_text=leveled.text, actual_fk_score=leveled.actual_fk,
                           cached=leveled.cached)

    @strawberry.mutation(description="Rewrite a whole catalog book toward a grade (services "
                                     "and admins).")
    async def adapt_book(self, info: Info, input: AdaptBookInput) -> AdaptedBook:
        request = parse(reading_adaptive.AdaptIn, strawberry.asdict(input))
        book = await reading_adaptive.adapt(info.context, request=request)
        return AdaptedBook(adapted_pages=[AdaptedPage(page_number=n, text=t)
                                          for n, t in book.pages], cached=book.cached)
