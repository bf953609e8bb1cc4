"""Readability grades, measured with the ``textstat`` library.

Every Flesch-Kincaid grade the reading platform stores or reports comes from
here: catalog books and pages, rewritten pages, learners' levels are compared
against these numbers. The first call loads the pronouncing dictionary (a few
seconds), so async callers measure in a worker thread.
"""

from __future__ import annotations

import asyncio

import textstat

# Grades are kept to one decimal, as the reference writes them (3.4, 3.5).
PRECISION = 1
MIN_GRADE = 0.0
MAX_GRADE = 18.0


def fk_grade(text: str) -> float:
    """The Flesch-Kincaid grade of ``text``, rounded to one decimal and kept in 0..18."""
    if not text.strip():
        return MIN_GRADE
    grade = textstat.flesch_kincaid_grade(text)
    return round(min(max(grade, MIN_GRADE), MAX_GRADE), PRECISION)


def word_count(text: str) -> int:
    """How many words ``text`` has, counted the way the grade formula counts them."""
    return textstat.lexicon_count(text)


async def fk_grade_async(text: str) -> float:
    """``fk_grade`` in a worker thread (the first call loads a large dictionary)."""
    return await asyncio.to_thread(fk_grade, text)
