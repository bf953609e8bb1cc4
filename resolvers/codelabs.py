"""Workshops (codelabs): create, read, change, copy and delete them and their steps.

A codelab is a Course of kind CODELAB with its workshop settings (models/codelab.py);
its steps are the course's modules in order. Who may do what:

- facilitators of a codelab are its creator (an INSTRUCTOR) and platform admins;
  any INSTRUCTOR may create codelabs;
- a public codelab (``is_public``, the course's ``is_published``) is readable by
  anyone; a private one only by its facilitators and its own attendees, and is
  "not found" for everyone else;
- attendees act only inside their own codelab.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.viewer import ROLE_INSTRUCTOR, Viewer
from core.context import Context
from core.errors import Forbidden, NotFound, Validation
from core.planning import VIEWER_ID, viewer_params
from loaders.catalog import CourseByIdLoader
from loaders.codelab import (
    CodelabAttendeeByUserIdLoader,
    CodelabByCourseIdLoader,
    StepsByCourseIdLoader,
)
from models.codelab import Codelab, CodelabAttendee
from models.course import Course, CourseOffering, Module
from models.user import User
from resolvers import codelab_audit, codelab_workspace_files
from resolvers.access import is_staff
from resolvers.catalog import PageArgs, paginate
from resolvers.pages import Page

CODELAB_NOT_FOUND = "Codelab not found"
KIND = "CODELAB"
COURSE_CODE = "CODELAB"

TITLE_MAX = 300
DESCRIPTION_MAX = 10_000
AUTHOR_MAX = 200
MARKDOWN_MAX = 200_000
CODE_MIN, CODE_MAX = 4, 64
STEPS_MAX = 200

# Fields a codelab has beside its steps, and their defaults on create.
DEFAULTS: dict[str, Any] = {"description": "", "author": "", "is_public": True,
                            "quiz_enabled": False, "require_quiz": False,
                            "require_feedback": False, "guide_markdown": None}
SETTINGS_FIELDS = ("author", "quiz_enabled", "require_quiz", "require_feedback",
                   "guide_markdown", "attendance_code")


@dataclass(frozen=True)
class CodelabView:
    """A codelab: its course and its workshop settings."""

    course: Course
    codelab: Codelab

    @property
    def id(self) -> int:
        return self.course.id


@dataclass(frozen=True)
class StepInput:
    """One step of a bulk step update; ``step_id`` keeps an existing step (and what is
    anchored to it), None adds one."""

    title: str
    content_markdown: str
    step_id: int | None = None


def can_facilitate(viewer: Viewer, course: Course) -> bool:
    """The codelab's creator (an instructor) and platform admins run it."""
    return viewer.is_admin or (is_staff(viewer) and course.created_by_id == viewer.user_id)


def require_facilitator(viewer: Viewer, course: Course) -> None:
    viewer.require_user()
    if not can_facilitate(viewer, course):
        raise Forbidden("Only the codelab's facilitator can do this")


async def viewer_attendee(ctx: Context) -> CodelabAttendee | None:
    """The attendee the viewer is (a guest user registered to one codelab), or None."""
    if ctx.viewer.user_id is None:
        return None
    return await ctx.loaders.get(CodelabAttendeeByUserIdLoader).load(ctx.viewer.user_id)


async def require_attendee(ctx: Context, view: CodelabView) -> CodelabAttendee:
    """The viewer as an attendee of this codelab; Unauthenticated or Forbidden otherwise."""
    ctx.viewer.require_user()
    attendee = await viewer_attendee(ctx)
    if attendee is None or attendee.course_id != view.id:
        raise Forbidden("Only the codelab's attendees can do this")
    return attendee


async def require_member(ctx: Context, view: CodelabView) -> None:
    """The codelab's facilitators and its own attendees pass (``member_rule``, which
    planned reads check too); others are refused."""
    if can_facilitate(ctx.viewer, view.course):
        return
    ctx.viewer.require_user()
    async with ctx.db.session() as session:
        member = (await session.execute(
            select(Course.id).where(Course.id == view.id, member_rule(ctx.viewer)),
            viewer_params(ctx.viewer))).first()
    if member is None:
        raise Forbidden("Only the codelab's facilitator and attendees can see this")


def topic(codelab_id: int) -> str:
    """The pub/sub topic of a codelab's live events (help requests, progress, chat)."""
    return f"codelab:{codelab_id}"


async def _visible(ctx: Context, course: Course) -> bool:
    if course.is_published or can_facilitate(ctx.viewer, course):
        return True
    attendee = await viewer_attendee(ctx)
    return attendee is not None and attendee.course_id == course.id


async def get(ctx: Context, *, codelab_id: int) -> CodelabView:
    """A codelab the viewer may read, or NotFound."""
    course = await ctx.loaders.get(CourseByIdLoader).load(codelab_id)
    if course is None or course.kind != KIND or not await _visible(ctx, course):
        raise NotFound(CODELAB_NOT_FOUND)
    codelab = await ctx.loaders.get(CodelabByCourseIdLoader).load(codelab_id)
    return CodelabView(course=course, codelab=codelab)


async def get_many(ctx: Context, *, ids: list[int]) -> list[CodelabView | None]:
    """Codelabs by id; None where missing or hidden from the viewer."""
    courses = await ctx.loaders.get(CourseByIdLoader).load_many(ids)
    codelabs = await ctx.loaders.get(CodelabByCourseIdLoader).load_many(ids)
    found: list[CodelabView | None] = []
    for course, codelab in zip(courses, codelabs, strict=True):
        ok = course is not None and codelab is not None and await _visible(ctx, course)
        found.append(CodelabView(course=course, codelab=codelab) if ok else None)
    return found


async def get_for_facilitator(ctx: Context, *, codelab_id: int) -> CodelabView:
    """A codelab the viewer runs: NotFound when it cannot read it, Forbidden when it may
    read it but does not run it."""
    view = await get(ctx, codelab_id=codelab_id)
    require_facilitator(ctx.viewer, view.course)
    return view


async def get_all(ctx: Context, *, page: PageArgs) -> Page:
    """Codelabs in creation order: public ones, and those the viewer runs."""
    query = select(Course).where(list_rule(ctx.viewer)).params(
        {VIEWER_ID.key: ctx.viewer.user_id})
    result = await paginate(ctx, query, Course.id, page)
    codelabs = await ctx.loaders.get(CodelabByCourseIdLoader).load_many(
        [c.id for c in result.items])
    result.items = [CodelabView(course=c, codelab=s)
                    for c, s in zip(result.items, codelabs, strict=True)]
    return result


async def get_steps(ctx: Context, *, codelab_id: int) -> list[Module]:
    """A codelab's steps in order (the codelab must be readable)."""
    await get(ctx, codelab_id=codelab_id)
    return await ctx.loaders.get(StepsByCourseIdLoader).load(codelab_id)


def _text(name: str, value: Any, *, limit: int, required: bool = False) -> None:
    if value is None:
        if required:
            raise Validation(f"{name} is required", details={"field": name})
        return
    if "\x00" in value:
        raise Validation(f"{name} must not contain NUL characters", details={"field": name})
    if len(value) > limit:
        raise Validation(f"{name} must be at most {limit} characters", details={"field": name})
    if required and not value.strip():
        raise Validation(f"{name} must not be empty", details={"field": name})


def check_fields(fields: dict[str, Any], *, creating: bool) -> None:
    """Bounds of a codelab's fields (each face also bounds them before calling)."""
    if creating or "title" in fields:
        _text("title", fields.get("title"), limit=TITLE_MAX, required=True)
    for name, limit in (("description", DESCRIPTION_MAX), ("author", AUTHOR_MAX),
                        ("guide_markdown", MARKDOWN_MAX)):
        if fields.get(name) is not None:
            _text(name, fields[name], limit=limit)
    code = fields.get("attendance_code")
    if code is not None:
        _text("attendance_code", code, limit=CODE_MAX)
        if len(code.strip()) < CODE_MIN:
            raise Validation(f"attendance_code must be at least {CODE_MIN} characters",
                             details={"field": "attendance_code"})
    for name in ("description", "author", "is_public", "quiz_enabled", "require_quiz",
                 "require_feedback", "attendance_code"):
        if not creating and name in fields and fields[name] is None:
            raise Validation(f"{name} must not be null", details={"field": name})


def new_attendance_code() -> str:
    """Eight characters from an alphabet without look-alikes (no 0/O, 1/I)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


async def _insert(session: AsyncSession, viewer: Viewer, values: dict[str, Any]) -> CodelabView:
    course = Course(kind=KIND, code=COURSE_CODE, title=values["title"].strip(),
                    description=values["description"], is_published=values["is_public"],
                    created_by_id=viewer.user_id)
    session.add(course)
    await session.flush()
    offering = CourseOffering(course_id=course.id, term_name="Workshop", visibility="PUBLIC")
    session.add(offering)
    await session.flush()
    codelab = Codelab(course_id=course.id, offering_id=offering.id,
                      **{k: values[k] for k in SETTINGS_FIELDS})
    session.add(codelab)
    await session.flush()
    await session.refresh(course)
    await session.refresh(codelab)
    return CodelabView(course=course, codelab=codelab)


async def create(ctx: Context, *, fields: dict[str, Any]) -> CodelabView:
    """A new codelab run by the viewer (instructors and platform admins)."""
    ctx.viewer.require_role(ROLE_INSTRUCTOR)
    check_fields(fields, creating=True)
    values = {**DEFAULTS, **{k: v for k, v in fields.items() if v is not None}}
    values.setdefault("attendance_code", new_attendance_code())
    values["guide_markdown"] = fields.get("guide_markdown")
    async with ctx.db.transaction() as session:
        view = await _insert(session, ctx.viewer, values)
        codelab_audit.record(session, ctx, action=codelab_audit.CODELAB_CREATE,
                             codelab_id=view.id, target_id=view.id)
    return view


async def _locked(ctx: Context, session: AsyncSession, codelab_id: int) -> CodelabView:
    course = (await session.execute(select(Course).where(
        Course.id == codelab_id, Course.kind == KIND).with_for_update())).scalar_one_or_none()
    if course is None:
        raise NotFound(CODELAB_NOT_FOUND)
    if not can_facilitate(ctx.viewer, course):
        if course.is_published:
            raise Forbidden("Only the codelab's facilitator can do this")
        raise NotFound(CODELAB_NOT_FOUND)
    codelab = await session.get(Codelab, codelab_id, with_for_update=True)
    return CodelabView(course=course, codelab=codelab)


async def update(ctx: Context, *, codelab_id: int, changes: dict[str, Any]) -> CodelabView:
    """Change some of a codelab's fields (its facilitators)."""
    ctx.viewer.require_user()
    check_fields(changes, creating=False)
    async with ctx.db.transaction() as session:
        view = await _locked(ctx, session, codelab_id)
        course, codelab = view.course, view.codelab
        if "title" in changes:
            course.title = changes["title"].strip()
        if "description" in changes:
            course.description = changes["description"]
        if "is_public" in changes:
            course.is_published = changes["is_public"]
        for name in SETTINGS_FIELDS:
            if name in changes:
                setattr(codelab, name, changes[name])
        codelab_audit.record(session, ctx, action=codelab_audit.CODELAB_UPDATE,
                             codelab_id=codelab_id, target_id=codelab_id,
                             details={"fields": sorted(changes)})
        await session.flush()
        await session.refresh(course)
        await session.refresh(codelab)
    return view


async def delete_codelab(ctx: Context, *, codelab_id: int) -> None:
    """Delete a codelab with its steps, its attendees and their guest accounts."""
    ctx.viewer.require_user()
    async with ctx.db.transaction() as session:
        view = await _locked(ctx, session, codelab_id)
        guests = select(CodelabAttendee.user_id).where(CodelabAttendee.course_id == codelab_id)
        await session.execute(delete(User).where(User.id.in_(guests)))
        await session.delete(view.course)
        codelab_audit.record(session, ctx, action=codelab_audit.CODELAB_DELETE,
                             codelab_id=codelab_id, target_id=codelab_id,
                             details={"title": view.course.title})
    # Its code-server workspace's row went with the course; its files go too.
    await asyncio.to_thread(codelab_workspace_files.delete,
                            codelab_workspace_files.root_for(ctx.settings.data_dir, codelab_id))


async def copy(ctx: Context, *, codelab_id: int) -> CodelabView:
    """A new codelab with the same settings and steps, titled "<title> (copy)", private
    until published, with a fresh attendance code; attendees and their work stay behind."""
    view = await get_for_facilitator(ctx, codelab_id=codelab_id)
    steps = await ctx.loaders.get(StepsByCourseIdLoader).load(codelab_id)
    values = {name: getattr(view.codelab, name) for name in SETTINGS_FIELDS}
    values.update(title=(view.course.title + " (copy)")[:TITLE_MAX],
                  description=view.course.description, is_public=False,
                  attendance_code=new_attendance_code())
    async with ctx.db.transaction() as session:
        copied = await _insert(session, ctx.viewer, values)
        session.add_all(Module(course_id=copied.id, title=s.title, description=s.description,
                               module_type="LESSON", sequence_index=i)
                        for i, s in enumerate(steps))
        codelab_audit.record(session, ctx, action=codelab_audit.CODELAB_COPY,
                             codelab_id=codelab_id, target_id=copied.id)
    return copied


def check_steps(steps: list[StepInput]) -> None:
    if len(steps) > STEPS_MAX:
        raise Validation(f"A codelab has at most {STEPS_MAX} steps", details={"field": "steps"})
    for index, step in enumerate(steps):
        _text(f"steps[{index}].title", step.title, limit=TITLE_MAX, required=True)
        _text(f"steps[{index}].content_markdown", step.content_markdown, limit=MARKDOWN_MAX)
    kept = [s.step_id for s in steps if s.step_id is not None]
    if len(kept) != len(set(kept)):
        raise Validation("A step id appears twice", details={"field": "steps"})


async def replace_steps(ctx: Context, *, codelab_id: int, steps: list[StepInput]) -> list[Module]:
    """Make the codelab's steps exactly ``steps``, in order: a step naming an existing
    step id updates it, one without adds a step, and steps not named are deleted."""
    ctx.viewer.require_user()
    check_steps(steps)
    async with ctx.db.transaction() as session:
        await _locked(ctx, session, codelab_id)
        existing = {m.id: m for m in (await session.execute(
            select(Module).where(Module.course_id == codelab_id))).scalars()}
        unknown = [s.step_id for s in steps if s.step_id is not None and s.step_id not in existing]
        if unknown:
            raise Validation("A step id is not a step of this codelab",
                             details={"field": "steps"})
        keep = {s.step_id for s in steps if s.step_id is not None}
        gone = [i for i in existing if i not in keep]
        if gone:
            await session.execute(delete(Module).where(Module.id.in_(gone)))
        result = []
        for index, step in enumerate(steps):
            module = existing.get(step.step_id) if step.step_id is not None else None
            if module is None:
                module = Module(course_id=codelab_id, module_type="LESSON")
                session.add(module)
            module.title = step.title.strip()
            module.description = step.content_markdown
            module.sequence_index = index
            result.append(module)
        codelab_audit.record(session, ctx, action=codelab_audit.STEPS_UPDATE,
                             codelab_id=codelab_id, target_id=codelab_id,
                             details={"steps": len(steps)})
        await session.flush()
    return result


# --- the rules above as SQL conditions on courses, for planned reads ----------------------


def _created_by_viewer(viewer: Viewer):
    # As ``created_by_id == viewer.user_id`` compares in Python, a viewer without a user too.
    if viewer.user_id is None:
        return Course.created_by_id.is_(None)
    return Course.created_by_id == VIEWER_ID


def facilitate_rule(viewer: Viewer):
    """``can_facilitate`` as a SQL condition on courses."""
    if viewer.is_admin:
        return true()
    if is_staff(viewer):
        return _created_by_viewer(viewer)
    return false()


def _attended_rule(viewer: Viewer):
    """The viewer's own codelab (as an attendee), as a SQL condition on courses."""
    if viewer.user_id is None:
        return false()
    return Course.id.in_(select(CodelabAttendee.course_id).where(
        CodelabAttendee.user_id == VIEWER_ID))


def member_rule(viewer: Viewer):
    """Who may read a codelab's members-only lists (its facilitators and its own
    attendees), as a SQL condition on courses: ``require_member`` runs it, and planned
    reads guard those lists with it."""
    return or_(facilitate_rule(viewer), _attended_rule(viewer))


def visible_rule(viewer: Viewer):
    """``get_many``'s visibility as a SQL condition on courses: a codelab (a course with
    workshop settings) that is public, run by the viewer or the viewer's own."""
    return and_(Course.id.in_(select(Codelab.course_id)),
                or_(Course.is_published.is_(True), facilitate_rule(viewer),
                    _attended_rule(viewer)))


def list_rule(viewer: Viewer):
    """Which codelabs ``get_all`` lists (public ones and those the viewer runs), as a SQL
    condition on courses."""
    if viewer.is_admin:
        return Course.kind == KIND
    if is_staff(viewer):
        return and_(Course.kind == KIND, or_(Course.is_published.is_(True),
                                             _created_by_viewer(viewer)))
    return and_(Course.kind == KIND, Course.is_published.is_(True))


def step_rule(viewer: Viewer):
    """A step is seen with its codelab (``get_steps``), as a SQL condition on modules."""
    return Module.course_id.in_(select(Course.id).where(visible_rule(viewer)))


def settings_value(column):
    """One of a codelab's workshop settings, as a SQL expression on its course's row."""
    return select(column).where(Codelab.course_id == Course.id).scalar_subquery()
