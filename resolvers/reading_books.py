"""The reading platform's book catalog: books and their pages, with measured grades.

The catalog ships with the project (loaded by a migration, every grade measured by
the readability library) and is readable by anyone.
"""

from __future__ import annotations

from core.context import Context
from loaders.reading import BookByIdLoader, PagesByBookIdLoader
from models.reading import Book, BookPage

# Longest id a lookup reads: catalog ids are shorter, and a longer argument is cut.
LOOKUP_LENGTH = 100


def lookup_id(value: str) -> str:
    """The book id a lookup by ``value`` reads (GraphQL's ``readingBook(id:)``, planned
    or not)."""
    return value[:LOOKUP_LENGTH]


async def get(ctx: Context, *, book_id: str) -> Book | None:
    """One book by its permanent id."""
    return await ctx.loaders.get(BookByIdLoader).load(book_id)


async def pages(ctx: Context, *, book_id: str) -> list[BookPage]:
    """A book's pages in order."""
    return await ctx.loaders.get(PagesByBookIdLoader).load(book_id)
