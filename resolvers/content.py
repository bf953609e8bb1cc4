"""Content items of modules, and the content types that say what an item's data holds.

Content is visible when its course is; adding it needs the course's creator
or a platform admin. Content types are reference data: anyone reads them,
platform admins write them.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from sqlalchemy import false, select

from core.auth.viewer import ROLE_INSTRUCTOR, ROLE_PLATFORM_ADMIN
from core.context import Context
from core.errors import NotFound, Validation
from core.planning import VIEWER_ID
from loaders.catalog import (
    ContentItemByIdLoader,
    ContentItemsByModuleIdLoader,
    ContentProgressRowsLoader,
    ContentRowsByModulesLoader,
    ContentTypeByIdLoader,
    CourseByIdLoader,
)
from models.course import ContentItem, ContentType, Course, Module
from models.learning import ContentProgress
from resolvers import courses, modules
from resolvers.catalog import (
    PageArgs,
    create_row,
    delete_row,
    get_row,
    next_sequence_index,
    paginate,
    update_row,
)
from resolvers.pages import Page

CONTENT_NOT_FOUND = "Content item not found"
TYPE_NOT_FOUND = "Content type not found"
TYPE_EXISTS = "A content type with this name already exists"


# --- content types ------------------------------------------------------------------


async def get_type(ctx: Context, *, content_type_id: int) -> ContentType:
    """One content type, or NotFound."""
    found = await ctx.loaders.get(ContentTypeByIdLoader).load(content_type_id)
    if found is None:
        raise NotFound(TYPE_NOT_FOUND)
    return found


async def get_all_types(ctx: Context, *, page: PageArgs) -> Page:
    """Content types in id order."""
    return await paginate(ctx, select(ContentType), ContentType.id, page)


def _check_required_fields(values: dict[str, Any]) -> None:
    required = values.get("required_fields")
    if required is not None and (not isinstance(required, list)
                                 or not all(isinstance(f, str) and f for f in required)):
        raise Validation("required_fields must be a list of field names",
                         details={"field": "required_fields"})


async def create_type(ctx: Context, *, fields: dict[str, Any]) -> ContentType:
    """Add a content type (platform admins)."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    _check_required_fields(fields)
    return await create_row(ctx, ContentType(**fields), conflict=TYPE_EXISTS)


async def update_type(ctx: Context, *, content_type_id: int,
                      changes: dict[str, Any]) -> ContentType:
    """Change some of a content type's fields (platform admins)."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    _check_required_fields(changes)
    return await update_row(ctx, ContentType, content_type_id, changes,
                            not_found=TYPE_NOT_FOUND, conflict=TYPE_EXISTS)


async def delete_type(ctx: Context, *, content_type_id: int) -> None:
    """Remove a content type no content item uses (platform admins)."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    await delete_row(ctx, ContentType, content_type_id, not_found=TYPE_NOT_FOUND,
                     in_use="This content type is used by content items")


# --- content items ------------------------------------------------------------------


async def get_for_module(ctx: Context, *, module_id: int) -> list[ContentItem]:
    """A module's content items in sequence order."""
    await modules.get(ctx, module_id=module_id)
    return await ctx.loaders.get(ContentItemsByModuleIdLoader).load(module_id)


def visible_rule(viewer):
    """An item is seen with its course (``get``): as a SQL condition on content items."""
    return ContentItem.course_id.in_(select(Course.id).where(courses.visible_rule(viewer)))


async def get(ctx: Context, *, content_id: int) -> ContentItem:
    """A content item of a course the viewer may see, or NotFound."""
    item = await ctx.loaders.get(ContentItemByIdLoader).load(content_id)
    if item is None or not courses.can_see(
            ctx.viewer, await ctx.loaders.get(CourseByIdLoader).load(item.course_id)):
        raise NotFound(CONTENT_NOT_FOUND)
    return item


def items_many(ctx: Context, *, module_ids: list[int]) -> Awaitable[list[list[Any]]]:
    """Each module's content items in sequence order, as read-only rows, in one batch (for
    modules already shown: no visibility check)."""
    return ctx.loaders.get(ContentRowsByModulesLoader).load(tuple(module_ids))


async def viewer_progress(ctx: Context, *, content_item_id: int) -> Any | None:
    """The viewer's latest progress row on a content item; None when there is none or no
    viewer."""
    return (await viewer_progress_many(ctx, content_item_ids=[content_item_id]))[0]


def viewer_progress_rule(viewer):
    """Whose progress ``viewer_progress_many`` reads, as a SQL condition for planned
    reads: the viewer's own rows, none without a user."""
    return ContentProgress.user_id == VIEWER_ID if viewer.user_id is not None else false()


async def viewer_progress_many(ctx: Context, *, content_item_ids: list[int]) -> list[Any | None]:
    """The viewer's latest progress row on each item (read-only rows), in one batch; Nones
    without a viewer."""
    if ctx.viewer.user_id is None:
        return [None] * len(content_item_ids)
    return await ctx.loaders.get(ContentProgressRowsLoader).load(
        (ctx.viewer.user_id, tuple(content_item_ids)))


async def types_of(ctx: Context, *, items: list[Any]) -> list[ContentType]:
    """The content type of each item, in one batch (one lookup per distinct type)."""
    ids = list(dict.fromkeys(i.content_type_id for i in items))
    found = dict(zip(ids, await ctx.loaders.get(ContentTypeByIdLoader).load_many(ids),
                     strict=True))
    return [found[i.content_type_id] for i in items]


def valid_pass_mark(value: Any) -> bool:
    """A quiz's ``data_json.pass_mark`` is a number from 0 to 100 (booleans are not)."""
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and 0 <= value <= 100)


def _check_pass_mark(data: dict[str, Any]) -> None:
    if "pass_mark" in data and not valid_pass_mark(data["pass_mark"]):
        raise Validation("data_json.pass_mark must be a number between 0 and 100",
                         details={"field": "data_json"})


async def create(ctx: Context, *, fields: dict[str, Any]) -> ContentItem:
    """Add a content item to a module of the given course.

    ``data_json`` must carry every key the content type requires, and a
    ``pass_mark`` in it must be a number from 0 to 100; without ``sequence_index``
    the item goes after the module's last one.
    """
    ctx.viewer.require_role(ROLE_INSTRUCTOR)
    values = dict(fields)
    if not isinstance(values.get("data_json") or {}, dict):
        raise Validation("data_json must be an object", details={"field": "data_json"})
    _check_pass_mark(values.get("data_json") or {})
    for name in ("sequence_index", "estimated_duration_seconds"):
        if values.get(name) is not None and values[name] < 0:
            raise Validation(f"{name} must be >= 0", details={"field": name})
    async with ctx.db.transaction() as session:
        module = await get_row(session, Module, values["module_id"], modules.MODULE_NOT_FOUND)
        if module.course_id != values["course_id"]:
            raise Validation(f"Module {module.id} does not belong to course "
                             f"{values['course_id']}", details={"field": "module_id"})
        # Locking the course serialises concurrent creates, so each sees the others' index.
        await courses.lock_for_change(ctx, session, module.course_id)
        kind = await session.get(ContentType, values["content_type_id"])
        if kind is None:
            raise Validation(f"Content type {values['content_type_id']} does not exist",
                             details={"field": "content_type_id"})
        data = values.get("data_json") or {}
        missing = [f for f in kind.required_fields if f not in data]
        if missing:
            raise Validation(f"data_json is missing required fields for content type "
                             f"'{kind.name}': {', '.join(missing)}",
                             details={"field": "data_json", "missing": missing})
        values["data_json"] = data
        if values.get("sequence_index") is None:
            values["sequence_index"] = await next_sequence_index(
                session, ContentItem.sequence_index, ContentItem.module_id == module.id)
        item = ContentItem(**values)
        session.add(item)
        await session.flush()
        await session.refresh(item)
    ctx.loaders.get(ContentTypeByIdLoader).prime(kind.id, kind)
    return item
