"""GraphQL for a course's module tree.

``Course.modules`` is a connection of the roots; below them ``children`` is a
plain list in sequence order (bounded by the course's size).

A tree is read level by level (``build_modules``): for all modules of a level,
one batch each for their children, their content items, the items' content
types and the viewer's progress, as far as the query selects them (fragments
and aliases included). So a tree of any width costs one statement per level and
field, and the tree's fields are plain attributes that resolve without a
resolver call or an await: this is what keeps a 1,000-item tree cheap in CPU.
A module or item met any other way (``node``, a mutation payload, a field not
planned) gets ``Deferred`` loads for those attributes from ``is_type_of``,
which the executor awaits only when the field is selected.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from graphql import FieldNode, FragmentDefinitionNode, GraphQLResolveInfo
from strawberry import relay
from strawberry.types import Info

from core.context import Context
from loaders.catalog import (
    CourseByIdLoader,
    ModuleByIdLoader,
)
from models.course import Module as ModuleModel
from resolvers import content, courses, modules
from schema.catalog_common import DeletePayload, decode_id, page_args, set_fields
from schema.content import (
    GLOBAL_ID,
    UNKNOWN,
    ContentItem,
    Deferred,
    build_items,
    subfields,
)
from schema.courses import Course
from schema.pages import connection, ids_or_zero


@strawberry.enum(description="What a module is in its course's structure.")
class ModuleType(Enum):
    COURSE_ROOT = "COURSE_ROOT"
    UNIT = "UNIT"
    CHAPTER = "CHAPTER"
    LESSON = "LESSON"
    TOPIC = "TOPIC"
    SECTION = "SECTION"
    LAB = "LAB"
    QUIZ = "QUIZ"


@strawberry.type(description="The viewer's progress on a module.")
class ViewerModuleProgress:
    progress_percent: int = strawberry.field(description="0–100.")
    started_at: datetime = strawberry.field(description="When the viewer started it.")
    completed_at: datetime | None = strawberry.field(description="When the viewer finished.")


async def _course_of(root: Module, info: Info) -> Course:
    row = await info.context.loaders.get(CourseByIdLoader).load(root._model.course_id)
    return Course.from_model(row)


async def _parent_of(root: Module, info: Info) -> Module | None:
    if root._model.parent_module_id is None:
        return None
    row = await info.context.loaders.get(ModuleByIdLoader).load(root._model.parent_module_id)
    return Module.from_model(row) if row else None


@strawberry.type(description="A node of a course's module tree.")
class Module(relay.Node):
    id: relay.NodeID[int]
    _id: relay.GlobalID = strawberry.field(name="id", description=GLOBAL_ID)
    title: str = strawberry.field(description="Title.")
    description: str = strawberry.field(description="Free text.")
    module_type: ModuleType = strawberry.field(description="What the module is.")
    sequence_index: int = strawberry.field(description="Position among its siblings.")
    course: Course = strawberry.field(resolver=_course_of,
                                      description="The course the module belongs to.")
    parent: Module | None = strawberry.field(
        resolver=_parent_of, description="The module above this one; null for a root.")
    # Plain attributes, filled in batch for a whole tree when the query asks for them (see
    # build_modules); left UNKNOWN, is_type_of turns them into a Deferred load.
    children: list[Module] = strawberry.field(default=UNKNOWN,
                                              description="Direct children in sequence order.")
    content: list[ContentItem] = strawberry.field(
        default=UNKNOWN, description="The module's content items in sequence order.")
    progress: ViewerModuleProgress | None = strawberry.field(
        default=UNKNOWN, description="The viewer's progress on this module (the latest across "
                                     "offerings); null when none or anonymous.")
    _model: strawberry.Private[ModuleModel]

    @classmethod
    def from_model(cls, row: ModuleModel) -> Module:
        return cls(id=row.id, _id=relay.to_base64("Module", row.id), title=row.title,
                   description=row.description, module_type=ModuleType(row.module_type),
                   sequence_index=row.sequence_index, _model=row)

    @classmethod
    def is_type_of(cls, obj: Any, info: GraphQLResolveInfo) -> bool:
        # Runs before any field of the object is resolved, with the request's context and
        # the field nodes that select the module's fields.
        if not isinstance(obj, cls):
            return False
        if obj.children is UNKNOWN:
            obj.children = Deferred(_load_children, info, obj.id)
        if obj.content is UNKNOWN:
            obj.content = Deferred(_load_content, info, obj.id)
        if obj.progress is UNKNOWN:
            obj.progress = Deferred(_load_progress, info.context, obj.id)
        return True

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Module | None]:
        ids = ids_or_zero(node_ids)
        rows = await info.context.loaders.get(ModuleByIdLoader).load_many(ids)
        visible = await courses.get_visible_many(
            info.context, course_ids=[r.course_id if r else 0 for r in rows])
        return [cls.from_model(r) if r and c else None for r, c in zip(rows, visible, strict=True)]


async def _load_children(info: GraphQLResolveInfo, module_id: int) -> list[Module]:
    """A module's children for the ``children`` selections under ``info``'s field nodes."""
    rows = (await modules.children_many(info.context, module_ids=[module_id]))[0]
    nodes = subfields(info.field_nodes, info.fragments).get("children", [])
    return await build_modules(info.context, rows, plan_for(nodes, info.fragments))


async def _load_content(info: GraphQLResolveInfo, module_id: int) -> list[ContentItem]:
    """A module's items for the ``content`` selections under ``info``'s field nodes."""
    rows = (await content.items_many(info.context, module_ids=[module_id]))[0]
    nodes = subfields(info.field_nodes, info.fragments).get("content", [])
    fields = subfields(nodes, info.fragments)
    return await build_items(info.context, rows, with_type="contentType" in fields,
                             with_progress="progress" in fields)


async def _load_progress(ctx: Context, module_id: int) -> ViewerModuleProgress | None:
    return _module_progress(await modules.viewer_progress(ctx, module_id=module_id))


def _module_progress(row) -> ViewerModuleProgress | None:
    if row is None:
        return None
    return ViewerModuleProgress(progress_percent=row.progress_percent,
                                started_at=row.started_at, completed_at=row.completed_at)


@dataclass(frozen=True, slots=True)
class TreePlan:
    """What a query selects on the modules of one tree level, and on the level below."""

    progress: bool
    content: bool
    content_type: bool
    content_progress: bool
    children: TreePlan | None


def plan_for(nodes: list[FieldNode], fragments: dict[str, FragmentDefinitionNode]) -> TreePlan:
    """The plan for modules selected by ``nodes`` (the field nodes of a list of modules)."""
    fields = subfields(nodes, fragments)
    content = subfields(fields["content"], fragments) if "content" in fields else {}
    return TreePlan(progress="progress" in fields, content="content" in fields,
                    content_type="contentType" in content,
                    content_progress="progress" in content,
                    children=plan_for(fields["children"], fragments)
                    if "children" in fields else None)


async def _nothing() -> None:
    return None


async def build_modules(ctx: Context, rows: list[ModuleModel], plan: TreePlan) -> list[Module]:
    """Modules with everything ``plan`` asks for below them filled in, level by level: one
    batch per level and loader (children, content, content types, progress), and then
    every nested field resolves without awaiting."""
    by_id = ctx.loaders.get(ModuleByIdLoader)
    result = level = []
    for row in rows:
        by_id.prime(row.id, row)
        level.append(Module.from_model(row))
    types: dict = {}
    level_plan: TreePlan | None = plan
    while level and level_plan is not None:
        ids = [m.id for m in level]
        progress, contents, children = await asyncio.gather(
            modules.viewer_progress_many(ctx, module_ids=ids) if level_plan.progress
            else _nothing(),
            content.items_many(ctx, module_ids=ids) if level_plan.content else _nothing(),
            modules.children_many(ctx, module_ids=ids) if level_plan.children is not None
            else _nothing())
        if progress is not None:
            for module, row in zip(level, progress, strict=True):
                module.progress = _module_progress(row)
        if contents is not None:
            items = await build_items(ctx, [i for rows_ in contents for i in rows_],
                                      with_type=level_plan.content_type,
                                      with_progress=level_plan.content_progress, types=types)
            start = 0
            for module, rows_ in zip(level, contents, strict=True):
                module.content = items[start:start + len(rows_)]
                start += len(rows_)
        below: list[Module] = []
        if children is not None:
            for module, rows_ in zip(level, children, strict=True):
                kids = []
                for row in rows_:
                    by_id.prime(row.id, row)
                    kids.append(Module.from_model(row))
                module.children = kids
                below += kids
        level, level_plan = below, level_plan.children
    return result


@strawberry.type(description="A page of modules.")
class ModuleConnection(relay.Connection[Module]):
    pass


async def root_modules(info: Info, *, course_id: int, first: int | None,
                       after: str | None) -> ModuleConnection:
    page = await modules.get_roots(info.context, course_id=course_id,
                                   page=page_args(first, after))
    raw = info._raw_info
    edges = subfields(raw.field_nodes, raw.fragments).get("edges", [])
    nodes = subfields(edges, raw.fragments).get("node", [])
    built = await build_modules(info.context, page.items, plan_for(nodes, raw.fragments))
    by_row = {id(row): module for row, module in zip(page.items, built, strict=True)}
    return connection(ModuleConnection, page, lambda row: by_row[id(row)])


@strawberry.input(description="A new module.")
class CreateModuleInput:
    course_id: relay.GlobalID
    parent_module_id: relay.GlobalID | None = None
    title: str
    description: str = ""
    module_type: ModuleType = ModuleType.UNIT
    sequence_index: int | None = strawberry.field(
        default=None, description="Position among siblings; omitted means last.")


@strawberry.input(description="Changes to a module. Setting parentModuleId moves it (null "
                              "moves it to the top; without sequenceIndex it goes last); "
                              "omitted fields keep their value, null is refused for a "
                              "required field.")
class UpdateModuleInput:
    id: relay.GlobalID
    parent_module_id: relay.GlobalID | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    module_type: ModuleType | None = strawberry.UNSET
    sequence_index: int | None = strawberry.UNSET


@strawberry.input(description="Every child of one parent (or every root), in the new order.")
class ReorderModulesInput:
    module_ids: list[relay.GlobalID]


@strawberry.type(description="A module after a change.")
class ModulePayload:
    module: Module


@strawberry.type(description="Siblings in their new order.")
class ReorderModulesPayload:
    modules: list[Module]


def _module_fields(data, *, skip: tuple[str, ...] = ()) -> dict:
    fields = set_fields(data, skip=skip)
    if fields.get("course_id") is not None:
        fields["course_id"] = decode_id(fields["course_id"], "Course")
    if fields.get("parent_module_id") is not None:
        fields["parent_module_id"] = decode_id(fields["parent_module_id"], "Module")
    return fields


@strawberry.type
class ModuleMutation:
    @strawberry.mutation(description="Add a module to a course (its creator or a platform "
                                     "admin).")
    async def create_module(self, info: Info, input: CreateModuleInput) -> ModulePayload:
        row = await modules.create(info.context, fields=_module_fields(input))
        return ModulePayload(module=Module.from_model(row))

    @strawberry.mutation(description="Change or move a module; it can never move under "
                                     "itself or one of its descendants.")
    async def update_module(self, info: Info, input: UpdateModuleInput) -> ModulePayload:
        row = await modules.update_module(info.context, module_id=decode_id(input.id, "Module"),
                                          changes=_module_fields(input, skip=("id",)))
        return ModulePayload(module=Module.from_model(row))

    @strawberry.mutation(description="Give a parent's children a new order.")
    async def reorder_modules(self, info: Info,
                              input: ReorderModulesInput) -> ReorderModulesPayload:
        rows = await modules.reorder(info.context, module_ids=[
            decode_id(i, "Module") for i in input.module_ids])
        return ReorderModulesPayload(modules=[Module.from_model(r) for r in rows])

    @strawberry.mutation(description="Delete a module with its subtree and content.")
    async def delete_module(self, info: Info, id: relay.GlobalID) -> DeletePayload:
        await modules.delete(info.context, module_id=decode_id(id, "Module"))
        return DeletePayload(deleted_id=strawberry.ID(str(id)))
