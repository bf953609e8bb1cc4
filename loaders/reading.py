"""Loaders for the reading platform's catalog."""

from __future__ import annotations

from sqlalchemy import select

from loaders import ByIdLoader, DbLoader
from models.reading import Book, BookPage


class BookByIdLoader(ByIdLoader):
    model = Book


class PagesByBookIdLoader(DbLoader):
    async def batch_load_fn(self, keys: list[str]) -> list[list[BookPage]]:
        async with self.db.session() as session:
            rows = (await session.execute(select(BookPage).where(
                BookPage.book_id.in_(keys)).order_by(BookPage.book_id,
                                                     BookPage.page_number))).scalars()
            found: dict[str, list[BookPage]] = {}
            for row in rows:
                found.setdefault(row.book_id, []).append(row)
        return [found.get(key, []) for key in keys]
