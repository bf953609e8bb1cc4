"""GraphQL for codelab ZIP archives: export one (as base64) and import one (an upload)."""

from __future__ import annotations

import base64
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from resolvers import codelab_archive
from schema.codelab_files import FileArg
from schema.codelabs import Codelab, CodelabPayload
from schema.pages import global_int_id


@strawberry.type(description="A codelab exported as a ZIP archive.")
class CodelabExport:
    file_name: str = strawberry.field(description="A file name for the archive.")
    content_type: str = strawberry.field(description="`application/zip`.")
    content_base64: str = strawberry.field(description="The archive, base64-encoded.")


@strawberry.type
class CodelabArchiveQuery:
    @strawberry.field(description="A codelab as a ZIP archive that `importCodelab` takes "
                                  "(its facilitators).")
    async def codelab_export(
            self, info: Info,
            id: Annotated[relay.GlobalID, strawberry.argument(description="The codelab.")]
    ) -> CodelabExport:
        name, data = await codelab_archive.export(
            info.context, codelab_id=global_int_id(id, "Codelab", field="id"))
        return CodelabExport(file_name=name, content_type="application/zip",
                             content_base64=base64.b64encode(data).decode())


@strawberry.type
class CodelabArchiveMutation:
    @strawberry.mutation(description="A new codelab from an exported ZIP archive (at most "
                                     "8 MiB; instructors and platform admins).")
    async def import_codelab(self, info: Info, file: FileArg) -> CodelabPayload:
        data = await file.read(codelab_archive.ARCHIVE_MAX_BYTES + 1)
        view = await codelab_archive.import_archive(info.context, data=data)
        return CodelabPayload(codelab=Codelab.from_view(view))
