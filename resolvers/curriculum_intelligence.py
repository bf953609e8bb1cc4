"""The curriculum mapper's generated material (``generateIntelligence``) for an objective.

Every type but ``remotion_script`` is written by the LLM (the deployment's key) and
stored as the objective's latest of that type:
- ``book_brief``: a 10–12 page lesson book whose pages fit the reference's Lesson
  Book Pages schema (checked; an answer that does not fit is sent back once, then
  refused as 502); stored as the objective's lesson book; ``content`` is the JSON of
  the pages.
- ``teacher_brief``: Markdown.
- ``html_activity``: one self-contained HTML document (it must start with
  ``<!DOCTYPE html>`` or ``<html`` and end its ``</html>``; otherwise asked again
  once, then 502). It is served to browsers only by the curriculum mapper with a
  sandboxing Content-Security-Policy (``ACTIVITY_CSP``).
- ``video_script``: the reference's 40-second script shape, as JSON.
``remotion_script`` calls no LLM: it transforms the stored lesson book into the
reference's scene array with its duration map (teacher pages left out); without a
lesson book it is NotFound.

Callers are signed-in users of the curriculum mapper (any role); platform
services use the other endpoints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from core.context import Context
from core.errors import NotFound, Upstream
from models.curriculum import CurriculumOutput, LessonBook, Objective
from resolvers.reading import llm_call

IntelligenceType = Literal["book_brief", "teacher_brief", "html_activity", "video_script",
                           "remotion_script"]
PageType = Literal["cover", "objective", "vocabulary", "content", "realworld", "recap",
                   "reflect", "teacher"]
DURATIONS = {"cover": 5, "objective": 4, "vocabulary": 6, "content": 8, "realworld": 6,
             "recap": 5, "reflect": 4}
DEFAULT_DURATION = 6
ANIMATIONS = {"cover": "fade-in-scale", "vocabulary": "stagger-words", "recap": "slide-up-list"}
BLOOMS = {1: "Remember", 2: "Understand", 3: "Apply", 4: "Analyse", 5: "Evaluate"}
ACTIVITY_CSP = ("sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; "
                "style-src 'unsafe-inline'; img-src data:; font-src data:; base-uri 'none'; "
                "form-action 'none'; frame-ancestors 'self'")
MAX_OUTPUT_TOKENS = 8000
_HTML = re.compile(r"^\s*(<!doctype html[^>]*>\s*)?<html[\s>].*</html>\s*$", re.I | re.S)



class IntelligenceIn(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    objective_id: int = Field(alias="objectiveId", ge=1, le=2**31 - 1)
    type: IntelligenceType


class LessonPage(BaseModel):
    """One page of a lesson book (the reference's Lesson Book Pages schema, its camelCase
    names kept: they are the stored JSON's)."""

    pageNumber: int = Field(ge=1, le=12)
    type: PageType
    heading: str = Field(min_length=1, max_length=200)
    bodyText: str = Field(min_length=1, max_length=3000)
    imagePrompt: str = Field(min_length=1, max_length=4000)
    voiceoverScript: str = Field(min_length=1, max_length=2000)
    voiceoverTone: str = Field(min_length=1, max_length=200)
    videoScene: str = Field(min_length=1, max_length=1000)


class LessonBookOut(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    pages: list[LessonPage] = Field(min_length=10, max_length=12)


class VideoScriptOut(BaseModel):
    hook: str = Field(min_length=1, max_length=400)
    mainPoints: list[str] = Field(min_length=3, max_length=3)
    conclusion: str = Field(min_length=1, max_length=400)
    voiceoverTone: str = Field(min_length=1, max_length=200)
    suggestedVisuals: list[str] = Field(min_length=4, max_length=4)
    backgroundMusic: str = Field(min_length=1, max_length=200)
    fullScript: str = Field(min_length=1, max_length=2000)


@dataclass(frozen=True)
class Intelligence:
    type: str
    content: str


def _brief(objective: Objective) -> str:
    return (f"Learning objective: {objective.title}\n{objective.description}\n"
            f"Territory: {objective.territory}; school year {objective.year_level}; "
            f"subject {objective.subject}; difficulty {objective.difficulty} of 5.\n"
            f"Key vocabulary: {', '.join(objective.vocabulary)}.")


async def _objective(ctx: Context, objective_id: int) -> Objective:
    async with ctx.db.session() as session:
        objective = await session.get(Objective, objective_id)
    if objective is None:
        raise NotFound("Objective not found")
    return objective


async def _store(ctx: Context, objective_id: int, kind: str, content: str) -> None:
    async with ctx.db.transaction() as session:
        statement = insert(CurriculumOutput).values(objective_id=objective_id, type=kind,
                                                    content=content)
        await session.execute(statement.on_conflict_do_update(
            index_elements=[CurriculumOutput.objective_id, CurriculumOutput.type],
            set_={"content": statement.excluded.content, "created_at": statement.excluded
                  .created_at}))


async def _text(ctx: Context, system: str, prompt: str) -> str:
    message = await llm_call(ctx.llm.complete(api_key=None, system=system,
                                              max_tokens=MAX_OUTPUT_TOKENS,
                                              messages=[{"role": "user", "content": prompt}]))
    return "".join(b.text for b in message.content if b.type == "text").strip()


async def generate(ctx: Context, *, request: IntelligenceIn) -> Intelligence:
    """Generate (or, for remotion_script, transform) material of one type for an objective."""
    ctx.viewer.require_user()
    objective = await _objective(ctx, request.objective_id)
    brief = _brief(objective)
    if request.type == "remotion_script":
        content = orjson.dumps(await remotion_script(ctx, objective=objective)).decode()
        return Intelligence(type=request.type, content=content)
    if request.type == "book_brief":
        book = await llm_call(ctx.llm.complete_structured(
            api_key=None, system="You write Usborne-style illustrated non-fiction lesson books "
                                 "for children.", output=LessonBookOut,
            tool_name="lesson_book", description="A 10-12 page lesson book.",
            max_tokens=MAX_OUTPUT_TOKENS,
            messages=[{"role": "user", "content": f"Write the lesson book.\n\n{brief}"}]))
        pages = [p.model_dump() for p in book.pages]
        async with ctx.db.transaction() as session:
            statement = insert(LessonBook).values(objective_id=objective.id, title=book.title,
                                                  pages=pages)
            await session.execute(statement.on_conflict_do_update(
                index_elements=[LessonBook.objective_id],
                set_={"title": statement.excluded.title, "pages": statement.excluded.pages,
                      "created_at": statement.excluded.created_at}))
        return Intelligence(type=request.type, content=orjson.dumps(pages).decode())
    if request.type == "video_script":
        script = await llm_call(ctx.llm.complete_structured(
            api_key=None, system="You write 40-second educational video scripts for children.",
            output=VideoScriptOut, tool_name="video_script",
            description="A Pictory-format 40-second video script.",
            messages=[{"role": "user", "content": f"Write the video script.\n\n{brief}"}]))
        content = orjson.dumps(script.model_dump()).decode()
    elif request.type == "teacher_brief":
        content = await _text(ctx, "You write concise Markdown briefs for primary teachers: "
                                   "learning goals, key vocabulary, discussion prompts, "
                                   "differentiation tips.", brief)
        if not content:
            raise Upstream("The language model returned nothing", code="LLM_INVALID_ANSWER")
    else:
        content = await _html_activity(ctx, brief)
    await _store(ctx, objective.id, request.type, content)
    return Intelligence(type=request.type, content=content)


async def _html_activity(ctx: Context, brief: str) -> str:
    system = ("You write one self-contained interactive HTML activity (a quiz, drag-and-drop "
              "or matching game) for children: a complete HTML document with inline CSS and "
              "JavaScript, no external resources. Answer with the document only.")
    for _ in range(2):
        html = await _text(ctx, system, brief)
        if _HTML.match(html):
            return html
    raise Upstream("The language model did not return an HTML document",
                   code="LLM_INVALID_ANSWER")


async def get_activity(ctx: Context, *, objective_id: int) -> str:
    """The objective's latest HTML activity (serve it only with ``ACTIVITY_CSP``)."""
    ctx.viewer.require_user()
    async with ctx.db.session() as session:
        html = (await session.execute(select(CurriculumOutput.content).where(
            CurriculumOutput.objective_id == objective_id,
            CurriculumOutput.type == "html_activity"))).scalar_one_or_none()
    if html is None:
        raise NotFound("No activity has been generated for this objective")
    return html


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


async def remotion_script(ctx: Context, *, objective: Objective) -> dict:
    """The stored lesson book as a Remotion scene array (no LLM); NotFound without one."""
    async with ctx.db.session() as session:
        book = await session.get(LessonBook, objective.id)
    if book is None:
        raise NotFound("No lesson book exists for this objective; generate a book_brief first")
    scenes = []
    for page in (p for p in book.pages if p["type"] != "teacher"):
        kind = page["type"]
        body = page["bodyText"]
        scenes.append({
            "id": f"scene_{len(scenes) + 1}", "pageNumber": page["pageNumber"], "type": kind,
            "durationSecs": DURATIONS.get(kind, DEFAULT_DURATION),
            "narration": page["voiceoverScript"], "visual": page["imagePrompt"],
            "textOverlay": page["heading"],
            "animationType": ANIMATIONS.get(kind, "fade-in"),
            "extra": {"videoScene": page["videoScene"],
                      "words": list(objective.vocabulary) if kind == "vocabulary" else [],
                      "points": _sentences(body) if kind == "recap" else [],
                      "questions": [s for s in _sentences(body) if s.endswith("?")]
                      if kind == "reflect" else []}})
    return {"title": book.title, "subtitle": objective.title,
            "learningObjective": objective.description,
            "bloomsLevel": BLOOMS.get(objective.difficulty, "Understand"),
            "targetAge": f"{objective.year_level + 4}-{objective.year_level + 5}",
            "readingLevel": f"Year {objective.year_level}",
            "totalDurationSecs": sum(s["durationSecs"] for s in scenes),
            "voiceoverTone": "warm, engaging, age-appropriate — like a friendly teacher",
            "backgroundMusic": "gentle upbeat educational loop", "scenes": scenes}
