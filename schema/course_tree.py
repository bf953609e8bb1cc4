"""GraphQL for a course's module tree.

``Course.modules`` is a connection of the roots; below them ``children`` is a
plain list in sequence order (bounded by the course's size). The types are plain:
nested fields load through per-request DataLoaders, so a tree costs one batch per
level and field whatever its width; a known document is planned into one statement
by ``core.planning``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay
from strawberry.types import Info

from loaders.catalog import (
    CourseByIdLoader,
    ModuleByIdLoader,
)
from models.course import Module as ModuleModel
from resolvers import content, courses, modules
from schema.catalog_common import DeletePayload, decode_id, page_args, set_fields
from schema.content import GLOBAL_ID, ContentItem
from schema.courses import Course
from schema.pages import Connection, connection, ids_or_zero


@strawberry.enum(description="What a module is in its course's structure.")
class ModuleType(Enum):
    COURSE_ROOT = strawberry.enum_value(
        "COURSE_ROOT", description="A course's root module, which holds the rest.")
    UNIT = strawberry.enum_value("UNIT", description="A unit: one of a course's large parts.")
    CHAPTER = strawberry.enum_value("CHAPTER", description="A chapter.")
    LESSON = strawberry.enum_value("LESSON", description="A lesson.")
    TOPIC = strawberry.enum_value("TOPIC", description="A topic.")
    SECTION = strawberry.enum_value("SECTION", description="A section.")
    LAB = strawberry.enum_value("LAB", description="A hands-on lab.")
    QUIZ = strawberry.enum_value("QUIZ", description="A quiz.")


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


async def _children_of(root: Module, info: Info) -> list[Module]:
    rows = (await modules.children_many(info.context, module_ids=[root.id]))[0]
    return [Module.from_model(r) for r in rows]


async def _content_of(root: Module, info: Info) -> list[ContentItem]:
    rows = (await content.items_many(info.context, module_ids=[root.id]))[0]
    return [ContentItem.from_model(r) for r in rows]


async def _progress_of(root: Module, info: Info) -> ViewerModuleProgress | None:
    return _module_progress(await modules.viewer_progress(info.context, module_id=root.id))


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
    children: list[Module] = strawberry.field(resolver=_children_of,
                                              description="Direct children in sequence order.")
    content: list[ContentItem] = strawberry.field(
        resolver=_content_of, description="The module's content items in sequence order.")
    progress: ViewerModuleProgress | None = strawberry.field(
        resolver=_progress_of, description="The viewer's progress on this module (the latest "
                                           "across offerings); null when none or anonymous.")
    _model: strawberry.Private[ModuleModel]

    @classmethod
    def from_model(cls, row: ModuleModel) -> Module:
        return cls(id=row.id, _id=relay.to_base64("Module", row.id), title=row.title,
                   description=row.description, module_type=ModuleType(row.module_type),
                   sequence_index=row.sequence_index, _model=row)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Module | None]:
        ids = ids_or_zero(node_ids)
        rows = await info.context.loaders.get(ModuleByIdLoader).load_many(ids)
        visible = await courses.get_visible_many(
            info.context, course_ids=[r.course_id if r else 0 for r in rows])
        return [cls.from_model(r) if r and c else None for r, c in zip(rows, visible, strict=True)]


def _module_progress(row) -> ViewerModuleProgress | None:
    if row is None:
        return None
    return ViewerModuleProgress(progress_percent=row.progress_percent,
                                started_at=row.started_at, completed_at=row.completed_at)


@strawberry.type(description="A page of modules.")
class ModuleConnection(Connection[Module]):
    pass


async def root_modules(info: Info, *, course_id: int, first: int | None,
                       after: str | None) -> ModuleConnection:
    page = await modules.roots_of(info.context, course_id=course_id,
                                  page=page_args(first, after))
    return connection(ModuleConnection, page, Module.from_model)


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
