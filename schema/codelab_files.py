"""GraphQL for workshop materials, uploads and assignment submissions (the Codelabs
face's resolvers). Files are sent as multipart requests (``Upload``)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.file_uploads import Upload
from strawberry.types import Info

from resolvers import codelab_materials, codelab_submissions, codelab_uploads
from resolvers.catalog import PageArgs, page_in_memory
from resolvers.codelab_submissions import Submission
from resolvers.codelab_uploads import MAX_FILE_BYTES
from schema.pages import Connection, connection, global_int_id

First = Annotated[int | None, strawberry.argument(description="Page size, 1 to 100.")]
After = Annotated[str | None, strawberry.argument(description="The cursor to page after.")]
CodelabArg = Annotated[relay.GlobalID, strawberry.argument(description="The codelab.")]
FileArg = Annotated[Upload, strawberry.argument(description="The file, as a multipart part.")]


@strawberry.enum(description="What a codelab material is.")
class CodelabMaterialType(Enum):
    LINK = strawberry.enum_value("link", description="A link to a page elsewhere.")
    FILE = strawberry.enum_value("file", description="A file uploaded to the codelab.")


@strawberry.type(description="A link or an uploaded file offered to a codelab's attendees.")
class CodelabMaterial:
    id: relay.GlobalID = strawberry.field(description="Pass it to `deleteCodelabMaterial`.")
    title: str = strawberry.field(description="What the material is.")
    material_type: CodelabMaterialType = strawberry.field(description="A link or a file.")
    link_url: str | None = strawberry.field(description="The link, for a `LINK`.")
    file_url: str | None = strawberry.field(description="Where the file is served, for a "
                                                        "`FILE`.")
    created_at: datetime = strawberry.field(description="When it was added.")

    @classmethod
    def from_row(cls, info: Info, row) -> CodelabMaterial:
        return cls(id=relay.GlobalID("CodelabMaterial", str(row.id)), title=row.title,
                   material_type=CodelabMaterialType(row.material_type), link_url=row.link_url,
                   file_url=codelab_materials.file_url(info.context, row),
                   created_at=row.created_at)


@strawberry.type(description="A file an attendee handed in for a codelab.")
class CodelabSubmission:
    id: relay.GlobalID = strawberry.field(description="Pass it to `deleteCodelabSubmission`.")
    attendee_legacy_id: str = strawberry.field(description="The attendee (`attendee_<hex>`).")
    attendee_name: str = strawberry.field(description="The attendee's name.")
    file_name: str = strawberry.field(description="The name the file was sent with.")
    file_url: str = strawberry.field(description="Where the file is served.")
    file_size: int = strawberry.field(description="Its size in bytes.")
    content_type: str = strawberry.field(description="Its type, told by its bytes.")
    created_at: datetime = strawberry.field(description="When it was handed in.")

    @classmethod
    def from_found(cls, info: Info, found: Submission) -> CodelabSubmission:
        row = found.row
        return cls(id=relay.GlobalID("CodelabSubmission", str(row.id)),
                   attendee_legacy_id=f"attendee_{found.attendee_user_id.hex}",
                   attendee_name=found.attendee_name, file_name=row.file_name,
                   file_url=codelab_submissions.file_url(info.context, row),
                   file_size=row.file_size, content_type=row.content_type,
                   created_at=row.created_at)


@strawberry.type(description="A page of a codelab's materials, in the order they were added.")
class CodelabMaterialConnection(Connection[CodelabMaterial]):
    pass


@strawberry.type(description="A page of a codelab's submissions, in the order handed in.")
class CodelabSubmissionConnection(Connection[CodelabSubmission]):
    pass


async def materials_page(info: Info, codelab_id: int, first: int | None,
                         after: str | None) -> CodelabMaterialConnection:
    rows = await codelab_materials.get_all(info.context, codelab_id=codelab_id)
    page = page_in_memory(rows, ("id",), PageArgs(first=first, after=after))
    return connection(CodelabMaterialConnection, page,
                      lambda row: CodelabMaterial.from_row(info, row))


async def submissions_page(info: Info, codelab_id: int, first: int | None,
                           after: str | None) -> CodelabSubmissionConnection:
    found = await codelab_submissions.get_all(info.context, codelab_id=codelab_id)
    page = page_in_memory(found, ("id",), PageArgs(first=first, after=after))
    return connection(CodelabSubmissionConnection, page,
                      lambda item: CodelabSubmission.from_found(info, item))


@strawberry.input(description="A link or an uploaded file to add to a codelab.")
class AddCodelabMaterialInput:
    codelab_id: relay.GlobalID = strawberry.field(description="The codelab (its "
                                                              "facilitators).")
    title: str = strawberry.field(description="1 to 300 characters.")
    material_type: CodelabMaterialType = strawberry.field(description="A link or a file.")
    link_url: str | None = strawberry.field(
        default=None, description="For a `LINK`: an http or https URL, at most 2,048 "
                                  "characters.")
    file_url: str | None = strawberry.field(
        default=None, description="For a `FILE`: the `url` `uploadCodelabMaterial` answered.")


@strawberry.type(description="A material just added.")
class CodelabMaterialPayload:
    material: CodelabMaterial = strawberry.field(description="The material.")


@strawberry.type(description="A stored upload.")
class CodelabUploadPayload:
    url: str = strawberry.field(description="Where the stored file is served.")
    original_name: str = strawberry.field(description="The name the file was sent with.")


@strawberry.type(description="A file just handed in.")
class CodelabSubmissionPayload:
    submission: CodelabSubmission = strawberry.field(description="The submission.")


@strawberry.type(description="The id of something deleted.")
class CodelabDeletedPayload:
    deleted_id: relay.GlobalID = strawberry.field(description="What was deleted.")


def _codelab_id(value: relay.GlobalID) -> int:
    return global_int_id(value, "Codelab", field="codelabId")


async def _read(file: Upload) -> tuple[str | None, bytes]:
    return getattr(file, "filename", None), await file.read(MAX_FILE_BYTES + 1)


@strawberry.type
class CodelabFilesMutation:
    @strawberry.mutation(description="Store a material file (PDF, image, ZIP or UTF-8 text, "
                                     "at most 8 MiB; facilitators) for `addCodelabMaterial`.")
    async def upload_codelab_material(
            self, info: Info,
            file: FileArg
    ) -> CodelabUploadPayload:
        name, data = await _read(file)
        stored = await codelab_materials.upload(info.context, name=name, data=data)
        return CodelabUploadPayload(url=stored.url, original_name=stored.original_name)

    @strawberry.mutation(description="Store an image re-encoded to WebP (PNG, JPEG, GIF, WebP "
                                     "or BMP, at most 8 MiB; facilitators).")
    async def upload_codelab_image(
            self, info: Info,
            file: FileArg
    ) -> CodelabUploadPayload:
        name, data = await _read(file)
        url = await codelab_uploads.store_image(info.context, data=data)
        return CodelabUploadPayload(url=url, original_name=name or "image")

    @strawberry.mutation(description="Add a link or an uploaded file to a codelab (its "
                                     "facilitators).")
    async def add_codelab_material(self, info: Info, input: AddCodelabMaterialInput
                                   ) -> CodelabMaterialPayload:
        row = await codelab_materials.create(
            info.context, codelab_id=_codelab_id(input.codelab_id), title=input.title,
            material_type=input.material_type.value, link_url=input.link_url,
            file_path=input.file_url)
        return CodelabMaterialPayload(material=CodelabMaterial.from_row(info, row))

    @strawberry.mutation(description="Delete a material and its file (the codelab's "
                                     "facilitators).")
    async def delete_codelab_material(
            self, info: Info,
            codelab_id: CodelabArg,
            id: Annotated[relay.GlobalID, strawberry.argument(description="The material.")]
    ) -> CodelabDeletedPayload:
        await codelab_materials.delete(
            info.context, codelab_id=_codelab_id(codelab_id),
            material_id=global_int_id(id, "CodelabMaterial", field="id"))
        return CodelabDeletedPayload(deleted_id=id)

    @strawberry.mutation(description="Hand in a file for the codelab the viewer attends (the "
                                     "material types, at most 8 MiB, 20 per attendee).")
    async def submit_codelab_assignment(
            self, info: Info,
            codelab_id: CodelabArg,
            file: FileArg
    ) -> CodelabSubmissionPayload:
        viewer = info.context.viewer.require_user()
        name, data = await _read(file)
        found = await codelab_submissions.create(info.context,
                                                 codelab_id=_codelab_id(codelab_id),
                                                 attendee_user_id=viewer, name=name, data=data)
        return CodelabSubmissionPayload(submission=CodelabSubmission.from_found(info, found))

    @strawberry.mutation(description="Delete a submission and its file (the attendee who "
                                     "handed it in, or a facilitator).")
    async def delete_codelab_submission(
            self, info: Info,
            codelab_id: CodelabArg,
            id: Annotated[relay.GlobalID, strawberry.argument(description="The submission.")]
    ) -> CodelabDeletedPayload:
        await codelab_submissions.delete(
            info.context, codelab_id=_codelab_id(codelab_id),
            submission_id=global_int_id(id, "CodelabSubmission", field="id"))
        return CodelabDeletedPayload(deleted_id=id)
