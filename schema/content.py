"""GraphQL for content items and content types: plain types whose nested fields load
through per-request DataLoaders (one batch per tree level); a tree read fast is planned
into one statement by ``core.planning`` instead."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from graphql import GraphQLResolveInfo
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from loaders.catalog import ContentItemByIdLoader, ContentTypeByIdLoader, ModuleByIdLoader
from models.course import ContentItem as ContentItemModel
from models.course import ContentType as ContentTypeModel
from resolvers import content, courses
from schema.catalog_common import DeletePayload, decode_id, page_args, set_fields
from schema.input_bounds import long_text
from schema.pages import Connection, connection, load_rows

if TYPE_CHECKING:
    from schema.course_tree import Module

GLOBAL_ID = "The Globally Unique ID of this object"


@strawberry.type(description="A kind of content item (video, quiz, lab ...) and the keys its "
                             "data must carry.")
class ContentType(relay.Node):
    id: relay.NodeID[int]
    _id: relay.GlobalID = strawberry.field(name="id", description=GLOBAL_ID)
    name: str = strawberry.field(description="Machine name, unique, e.g. video.")
    label: str = strawberry.field(description="Human label, e.g. Video.")
    description: str = strawberry.field(description="Free text.")
    required_fields: list[str] = strawberry.field(
        description="Keys every item's dataJson must contain.")
    prompt_name: str | None = strawberry.field(description="The tutor prompt linked to it.")

    @classmethod
    def from_model(cls, row: ContentTypeModel) -> ContentType:
        return cls(id=row.id, _id=relay.to_base64("ContentType", row.id), name=row.name,
                   label=row.label, description=row.description,
                   required_fields=list(row.required_fields), prompt_name=row.prompt_name)

    @classmethod
    def is_type_of(cls, obj: Any, info: GraphQLResolveInfo) -> bool:
        # A plain check: strawberry's default one costs more than the rest of the object.
        return isinstance(obj, cls)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[ContentType | None]:
        rows = await load_rows(info, ContentTypeByIdLoader, node_ids)
        return [cls.from_model(r) if r else None for r in rows]


@strawberry.type(description="The viewer's progress on a content item.")
class ViewerContentProgress:
    progress_percent: int = strawberry.field(description="0–100.")
    time_spent_seconds: int = strawberry.field(description="Time spent on the item.")
    started_at: datetime = strawberry.field(description="When the viewer started it.")
    completed_at: datetime | None = strawberry.field(description="When the viewer finished.")


async def _module_of(root: ContentItem, info: Info
                     ) -> Annotated[Module, strawberry.lazy("schema.course_tree")]:
    from schema.course_tree import Module

    row = await info.context.loaders.get(ModuleByIdLoader).load(root._model.module_id)
    return Module.from_model(row)


async def _type_of(root: ContentItem, info: Info) -> ContentType:
    return ContentType.from_model(
        await content.get_type(info.context, content_type_id=root._model.content_type_id))


async def _progress_of(root: ContentItem, info: Info) -> ViewerContentProgress | None:
    return _progress(await content.viewer_progress(info.context, content_item_id=root.id))


@strawberry.type(description="A learning material inside a module.")
class ContentItem(relay.Node):
    id: relay.NodeID[int]
    _id: relay.GlobalID = strawberry.field(name="id", description=GLOBAL_ID)
    title: str = strawberry.field(description="Title.")
    description: str = strawberry.field(description="Free text.")
    data_json: JSON = strawberry.field(description="Type-specific data, e.g. a video URL.")
    sequence_index: int = strawberry.field(description="Position within its module.")
    estimated_duration_seconds: int | None = strawberry.field(
        description="How long it takes, in seconds.")
    content_type: ContentType = strawberry.field(resolver=_type_of,
                                                 description="What kind of item this is.")
    module: Annotated[Module, strawberry.lazy("schema.course_tree")] = strawberry.field(
        resolver=_module_of, description="The module the item belongs to.")
    progress: ViewerContentProgress | None = strawberry.field(
        resolver=_progress_of, description="The viewer's progress on this item (the latest "
                                           "across offerings); null when none or anonymous.")
    _model: strawberry.Private[ContentItemModel]

    @classmethod
    def from_model(cls, row: ContentItemModel) -> ContentItem:
        return cls(id=row.id, _id=relay.to_base64("ContentItem", row.id), title=row.title,
                   description=row.description, data_json=row.data_json,
                   sequence_index=row.sequence_index,
                   estimated_duration_seconds=row.estimated_duration_seconds, _model=row)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[ContentItem | None]:
        rows = await load_rows(info, ContentItemByIdLoader, node_ids)
        visible = await courses.get_visible_many(
            info.context, course_ids=[r.course_id if r else 0 for r in rows])
        return [cls.from_model(r) if r and c else None for r, c in zip(rows, visible, strict=True)]



def _progress(row) -> ViewerContentProgress | None:
    if row is None:
        return None
    return ViewerContentProgress(progress_percent=row.progress_percent,
                                 time_spent_seconds=row.time_spent_seconds,
                                 started_at=row.started_at, completed_at=row.completed_at)


@strawberry.type(description="A page of content types.")
class ContentTypeConnection(Connection[ContentType]):
    pass


@strawberry.input(description="A new content type.")
class CreateContentTypeInput:
    name: str
    label: str
    description: str = ""
    required_fields: list[str] = strawberry.field(default_factory=list)
    prompt_name: str | None = None


@strawberry.input(description="Changes to a content type; omitted fields keep their value;"
                              " null is refused for a required field.")
class UpdateContentTypeInput:
    id: relay.GlobalID
    name: str | None = strawberry.UNSET
    label: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    required_fields: list[str] | None = strawberry.UNSET
    prompt_name: str | None = strawberry.UNSET


@strawberry.input(description="A new content item in a module.")
class CreateContentItemInput:
    module_id: relay.GlobalID
    course_id: relay.GlobalID
    content_type_id: relay.GlobalID
    title: str
    description: str = ""
    data_json: JSON = long_text(description="Type-specific data, e.g. a video URL.",
                                default_factory=dict)
    estimated_duration_seconds: int | None = None
    sequence_index: int | None = None


@strawberry.type(description="A content type after a change.")
class ContentTypePayload:
    content_type: ContentType


@strawberry.type(description="A new content item.")
class ContentItemPayload:
    content_item: ContentItem


@strawberry.type
class ContentQuery:
    @strawberry.field(description="Content types in id order.")
    async def content_types(self, info: Info, first: int | None = None,
                            after: str | None = None) -> ContentTypeConnection:
        page = await content.get_all_types(info.context, page=page_args(first, after))
        return connection(ContentTypeConnection, page, ContentType.from_model)


@strawberry.type
class ContentMutation:
    @strawberry.mutation(description="Add a content type (platform admins).")
    async def create_content_type(self, info: Info,
                                  input: CreateContentTypeInput) -> ContentTypePayload:
        row = await content.create_type(info.context, fields=set_fields(input))
        return ContentTypePayload(content_type=ContentType.from_model(row))

    @strawberry.mutation(description="Change a content type (platform admins).")
    async def update_content_type(self, info: Info,
                                  input: UpdateContentTypeInput) -> ContentTypePayload:
        changes = set_fields(input, skip=("id",))
        row = await content.update_type(
            info.context, content_type_id=decode_id(input.id, "ContentType"), changes=changes)
        return ContentTypePayload(content_type=ContentType.from_model(row))

    @strawberry.mutation(description="Delete a content type no item uses (platform admins).")
    async def delete_content_type(self, info: Info, id: relay.GlobalID) -> DeletePayload:
        await content.delete_type(info.context, content_type_id=decode_id(id, "ContentType"))
        return DeletePayload(deleted_id=strawberry.ID(str(id)))

    @strawberry.mutation(description="Add a content item to a module (the course's creator "
                                     "or a platform admin).")
    async def create_content_item(self, info: Info,
                                  input: CreateContentItemInput) -> ContentItemPayload:
        fields = set_fields(input)
        fields.update(module_id=decode_id(input.module_id, "Module"),
                      course_id=decode_id(input.course_id, "Course"),
                      content_type_id=decode_id(input.content_type_id, "ContentType"))
        row = await content.create(info.context, fields=fields)
        return ContentItemPayload(content_item=ContentItem.from_model(row))
