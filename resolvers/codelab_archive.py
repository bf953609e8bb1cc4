"""A codelab as a ZIP archive: export, and import as a new codelab.

The archive holds ``codelab.json`` (the codelab's fields, its steps' titles, its
quiz and its materials), one Markdown file per step (``steps/001.md``...) and
the uploaded material files (``materials/001.pdf``...). Entries carry a fixed
date, so exporting an imported codelab gives the same bytes again. Attendees,
their work and the attendance code are not exported; an import gets a fresh
attendance code.

An import is read with bounds, before anything is stored: the archive at most
``ARCHIVE_MAX_BYTES``; at most ``ENTRIES_MAX`` entries; every entry name a
relative path that stays inside the archive's folder (no ``..``, no absolute
or drive paths, no backslashes: zip slip); bytes counted as they are
inflated, at most ``INFLATED_MAX_BYTES`` in all and never more than
``RATIO_MAX`` times an entry's compressed size (zip bombs), nor more than the
size it declares.
"""

from __future__ import annotations

import asyncio
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.auth.viewer import ROLE_INSTRUCTOR
from core.context import Context
from core.errors import Validation
from loaders.codelab import StepsByCourseIdLoader
from resolvers import codelab_materials, codelab_quizzes, codelabs
from resolvers.codelab_quizzes import QuizInput
from resolvers.codelab_uploads import MAX_FILE_BYTES, sniff
from resolvers.codelabs import StepInput

FORMAT = "learngraph-codelab"
VERSION = 1
MANIFEST = "codelab.json"
ARCHIVE_MAX_BYTES = 8 * 1024 * 1024
ENTRIES_MAX = 1000
INFLATED_MAX_BYTES = 64 * 1024 * 1024
RATIO_MAX = 100
# Small entries may compress better than RATIO_MAX without being a bomb.
RATIO_FREE_BYTES = 64 * 1024
FIXED_DATE = (2000, 1, 1, 0, 0, 0)
_CHUNK = 64 * 1024


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Fields(_Strict):
    title: str = Field(max_length=codelabs.TITLE_MAX)
    description: str = Field(default="", max_length=codelabs.DESCRIPTION_MAX)
    author: str = Field(default="", max_length=codelabs.AUTHOR_MAX)
    is_public: bool = True
    quiz_enabled: bool = False
    require_quiz: bool = False
    require_feedback: bool = False
    guide_markdown: str | None = Field(default=None, max_length=codelabs.MARKDOWN_MAX)


class _Step(_Strict):
    title: str = Field(max_length=codelabs.TITLE_MAX)
    file: str = Field(max_length=200)


class _Quiz(_Strict):
    question: str = Field(max_length=codelab_quizzes.QUESTION_MAX)
    quiz_type: str = Field(default="multiple_choice", max_length=30)
    options: list[str] = Field(max_length=codelab_quizzes.OPTIONS_MAX)
    correct_answer: int = Field(ge=0, le=codelab_quizzes.OPTIONS_MAX)


class _Material(_Strict):
    title: str = Field(max_length=codelab_materials.TITLE_MAX)
    material_type: Literal["link", "file"]
    link_url: str | None = Field(default=None, max_length=codelab_materials.URL_MAX)
    file: str | None = Field(default=None, max_length=200)


class _Manifest(_Strict):
    format: Literal["learngraph-codelab"]
    version: Literal[1]
    codelab: _Fields
    steps: list[_Step] = Field(default_factory=list, max_length=codelabs.STEPS_MAX)
    quizzes: list[_Quiz] = Field(default_factory=list, max_length=codelab_quizzes.QUIZZES_MAX)
    materials: list[_Material] = Field(default_factory=list,
                                       max_length=codelab_materials.MATERIALS_MAX)


@dataclass
class _Read:
    manifest: _Manifest
    files: dict[str, bytes] = field(default_factory=dict)


def _refuse(message: str) -> Validation:
    return Validation(message, details={"field": "file"})


# --- export ----------------------------------------------------------------------------


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return out.getvalue()


async def export(ctx: Context, *, codelab_id: int) -> tuple[str, bytes]:
    """The codelab as a ZIP archive and a file name for it (its facilitators)."""
    view = await codelabs.get_for_facilitator(ctx, codelab_id=codelab_id)
    steps = await ctx.loaders.get(StepsByCourseIdLoader).load(codelab_id)
    quizzes = await codelab_quizzes.get_all(ctx, codelab_id=codelab_id)
    materials = await codelab_materials.get_all(ctx, codelab_id=codelab_id)
    course, settings = view.course, view.codelab
    entries: list[tuple[str, bytes]] = []
    manifest_materials = []
    for index, material in enumerate(materials, start=1):
        shown = {"title": material.title, "material_type": material.material_type}
        if material.storage_key:
            name = f"materials/{index:03d}{PurePosixPath(material.storage_key).suffix}"
            entries.append((name, await ctx.storage.read(material.storage_key)))
            shown["file"] = name
        else:
            shown["link_url"] = material.link_url
        manifest_materials.append(shown)
    manifest = {
        "format": FORMAT, "version": VERSION,
        "codelab": {"title": course.title, "description": course.description,
                    "author": settings.author, "is_public": course.is_published,
                    "quiz_enabled": settings.quiz_enabled,
                    "require_quiz": settings.require_quiz,
                    "require_feedback": settings.require_feedback,
                    "guide_markdown": settings.guide_markdown},
        "steps": [{"title": s.title, "file": f"steps/{i:03d}.md"}
                  for i, s in enumerate(steps, start=1)],
        "quizzes": [{"question": q.row.question, "quiz_type": q.row.quiz_type,
                     "options": list(q.row.options), "correct_answer": q.row.correct_answer}
                    for q in quizzes],
        "materials": manifest_materials,
    }
    entries = [(MANIFEST, orjson.dumps(manifest, option=orjson.OPT_INDENT_2)),
               *((f"steps/{i:03d}.md", s.description.encode()) for i, s in
                 enumerate(steps, start=1)),
               *entries]
    slug = re.sub(r"[^a-z0-9]+", "-", course.title.lower()).strip("-")[:60] or "codelab"
    return f"{slug}.zip", await asyncio.to_thread(_zip, entries)


# --- import ----------------------------------------------------------------------------


def _safe_name(name: str) -> bool:
    if not name or "\\" in name or "\x00" in name or name.startswith("/"):
        return False
    if re.match(r"^[A-Za-z]:", name):
        return False
    parts = PurePosixPath(name).parts
    return all(part not in ("..", ".") for part in parts)


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int]) -> bytes:
    allowed = max(RATIO_MAX * max(info.compress_size, 1), RATIO_FREE_BYTES)
    data = bytearray()
    with archive.open(info) as handle:
        while chunk := handle.read(_CHUNK):
            data += chunk
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise _refuse("The archive inflates to more than 64 MiB")
            if len(data) > allowed:
                raise _refuse(f"The archive entry {info.filename[:60]!r} inflates more than "
                              f"{RATIO_MAX} times its size (a zip bomb?)")
            if len(data) > info.file_size:
                raise _refuse("The archive entry sizes are inconsistent")
    return bytes(data)


def _read(data: bytes) -> _Read:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _refuse("The file is not a ZIP archive") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > ENTRIES_MAX:
            raise _refuse(f"The archive has more than {ENTRIES_MAX} entries")
        for info in infos:
            if not _safe_name(info.filename):
                raise _refuse(f"The archive entry {info.filename[:60]!r} points outside the "
                              "archive's folder")
        wanted = {info.filename: info for info in infos if not info.is_dir()}
        budget = [INFLATED_MAX_BYTES]
        try:
            if MANIFEST not in wanted:
                raise _refuse(f"The archive has no {MANIFEST}")
            try:
                manifest = _Manifest.model_validate(orjson.loads(
                    _inflate(archive, wanted[MANIFEST], budget)))
            except (orjson.JSONDecodeError, ValidationError) as exc:
                raise _refuse(f"{MANIFEST} is not a codelab export: "
                              f"{str(exc).splitlines()[0][:120]}") from None
            read = _Read(manifest=manifest)
            needed = [s.file for s in manifest.steps] + [
                m.file for m in manifest.materials if m.file]
            for name in needed:
                if name not in wanted:
                    raise _refuse(f"The archive has no entry {name[:60]!r}")
                if name not in read.files:
                    read.files[name] = _inflate(archive, wanted[name], budget)
        except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError,
                zipfile.LargeZipFile, OSError):
            raise _refuse("The ZIP archive is damaged or uses an unsupported format") from None
    return read


def _text(read: _Read, name: str) -> str:
    try:
        return read.files[name].decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse(f"The archive entry {name[:60]!r} is not UTF-8 text") from None


async def import_archive(ctx: Context, *, data: bytes) -> codelabs.CodelabView:
    """A new private codelab from an exported archive (instructors and platform admins)."""
    ctx.viewer.require_role(ROLE_INSTRUCTOR)
    if not data:
        raise _refuse("The uploaded file is empty")
    if len(data) > ARCHIVE_MAX_BYTES:
        raise _refuse("The archive is too large (at most 8 MiB)")
    read = await asyncio.to_thread(_read, data)
    manifest = read.manifest
    steps = [StepInput(title=s.title, content_markdown=_text(read, s.file))
             for s in manifest.steps]
    codelabs.check_steps(steps)
    for material in manifest.materials:
        if material.file and len(read.files[material.file]) > MAX_FILE_BYTES:
            raise _refuse("A material file may be at most 8 MiB")
    view = await codelabs.create(ctx, fields=manifest.codelab.model_dump())
    try:
        await codelabs.replace_steps(ctx, codelab_id=view.id, steps=steps)
        await codelab_quizzes.replace(ctx, codelab_id=view.id, quizzes=[
            QuizInput(question=q.question, options=q.options, correct_answer=q.correct_answer,
                      quiz_type=q.quiz_type) for q in manifest.quizzes])
        for material in manifest.materials:
            key = None
            if material.material_type == "file":
                if not material.file:
                    raise _refuse("A file material names no file in the archive")
                found = await sniff(name=material.file, data=read.files[material.file])
                stored = await codelab_materials.upload(ctx, name=material.file,
                                                        data=found.data)
                key = ctx.storage.key_for_url(stored.url)
            await codelab_materials.create(ctx, codelab_id=view.id, title=material.title,
                                           material_type=material.material_type,
                                           link_url=material.link_url, file_path=key)
    except BaseException:
        await codelabs.delete_codelab(ctx, codelab_id=view.id)
        raise
    return await codelabs.get(ctx, codelab_id=view.id)
