"""GraphQL for codelab code-server workspaces (the Codelabs face's ``/codeserver``
resolvers): the workspace, its branches or folders, their files, and the ZIP."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from resolvers import codelab_workspaces
from resolvers.codelab_workspaces import FileInput, WorkspaceView
from schema.input_bounds import long_text
from schema.pages import global_int_id

CodelabArg = Annotated[relay.GlobalID, strawberry.argument(description="The codelab.")]
BranchArg = Annotated[str | None, strawberry.argument(
    description="A branch (`branch` workspaces); give it or `folder`.")]
FolderArg = Annotated[str | None, strawberry.argument(
    description="A top-level folder (`folder` workspaces); give it or `branch`.")]


def _codelab(value: relay.GlobalID) -> int:
    return global_int_id(value, "Codelab", field="codelabId")


@strawberry.type(description="A codelab's code-server workspace.")
class CodelabWorkspace:
    codelab_id: relay.GlobalID = strawberry.field(description="Its codelab.")
    structure_type: str = strawberry.field(
        description="`branch` (steps as git branches) or `folder` (steps as folders).")
    path: str = strawberry.field(
        description="Its folder, relative to the server's data directory.")
    created_at: datetime = strawberry.field(description="When it was created.")

    @classmethod
    def from_view(cls, view: WorkspaceView) -> CodelabWorkspace:
        return cls(codelab_id=relay.GlobalID("Codelab", str(view.codelab_id)),
                   structure_type=view.structure_type, path=view.path,
                   created_at=view.created_at)

    @strawberry.field(description="Its branches, sorted (empty for a `folder` workspace).")
    async def branches(self, info: Info) -> list[str]:
        if self.structure_type != "branch":
            return []
        return await codelab_workspaces.branches(info.context, codelab_id=_codelab(self.codelab_id))

    @strawberry.field(description="Its top-level folders, sorted (empty for a `branch` "
                                  "workspace).")
    async def folders(self, info: Info) -> list[str]:
        if self.structure_type != "folder":
            return []
        return await codelab_workspaces.folders(info.context, codelab_id=_codelab(self.codelab_id))


@strawberry.type(description="A file of a workspace's branch or folder.")
class CodelabWorkspaceFile:
    path: str = strawberry.field(description="Its path in the branch or folder.")
    content: str | None = strawberry.field(description="Its text; null when it is not UTF-8.")
    content_base64: str = strawberry.field(description="Its bytes, base64-encoded.")
    size: int = strawberry.field(description="Its size in bytes.")


@strawberry.type(description="A workspace as a ZIP archive.")
class CodelabWorkspaceArchive:
    file_name: str = strawberry.field(description="A file name for the archive.")
    content_type: str = strawberry.field(description="`application/zip`.")
    content_base64: str = strawberry.field(description="The archive, base64-encoded.")


@strawberry.input(description="A file to write into a workspace.")
class CodelabWorkspaceFileInput:
    path: str = strawberry.field(description="A relative path (no `..`, `.git`, or leading "
                                             "`/`).")
    content: str = long_text(description="Its text (at most 1 MiB in UTF-8).")


@strawberry.type(description="A workspace after a change.")
class CodelabWorkspacePayload:
    workspace: CodelabWorkspace


@strawberry.type(description="The codelab whose workspace was deleted.")
class DeleteCodelabWorkspacePayload:
    codelab_id: relay.GlobalID


@strawberry.type(description="The branch or folder a step's state was given.")
class CodelabWorkspaceStepPayload:
    name: str = strawberry.field(description="`step-<n>-<start|end>`.")
    workspace: CodelabWorkspace


def _files(items: list[CodelabWorkspaceFileInput] | None) -> list[FileInput]:
    return [FileInput(path=f.path, content=f.content) for f in items or []]


async def _payload(info: Info, codelab_id: int) -> CodelabWorkspace:
    return CodelabWorkspace.from_view(await codelab_workspaces.get(info.context,
                                                                   codelab_id=codelab_id))


@strawberry.type
class CodelabWorkspaceQuery:
    @strawberry.field(description="A codelab's code-server workspace (its facilitators).")
    async def codelab_workspace(self, info: Info, codelab_id: CodelabArg) -> CodelabWorkspace:
        return await _payload(info, _codelab(codelab_id))

    @strawberry.field(description="The files of a workspace's branch or folder (relative "
                                  "paths, sorted).")
    async def codelab_workspace_files(self, info: Info, codelab_id: CodelabArg,
                                      branch: BranchArg = None,
                                      folder: FolderArg = None) -> list[str]:
        return await codelab_workspaces.list_files(info.context, codelab_id=_codelab(codelab_id),
                                                   branch=branch, folder=folder)

    @strawberry.field(description="One file of a workspace's branch or folder.")
    async def codelab_workspace_file(
            self, info: Info, codelab_id: CodelabArg,
            path: Annotated[str, strawberry.argument(description="The file's path.")],
            branch: BranchArg = None, folder: FolderArg = None) -> CodelabWorkspaceFile:
        data = await codelab_workspaces.read_file(info.context, codelab_id=_codelab(codelab_id),
                                                  branch=branch, folder=folder, path=path)
        try:
            text: str | None = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        return CodelabWorkspaceFile(path=path, content=text, size=len(data),
                                    content_base64=base64.b64encode(data).decode())

    @strawberry.field(description="A workspace as a ZIP archive (with `.git` for branches).")
    async def codelab_workspace_download(self, info: Info,
                                         codelab_id: CodelabArg) -> CodelabWorkspaceArchive:
        name, data = await codelab_workspaces.download(info.context,
                                                       codelab_id=_codelab(codelab_id))
        return CodelabWorkspaceArchive(file_name=name, content_type="application/zip",
                                       content_base64=base64.b64encode(data).decode())


@strawberry.type
class CodelabWorkspaceMutation:
    @strawberry.mutation(description="Create a codelab's workspace holding `files` (on "
                                     "branch `main`, or at its top for folders).")
    async def create_codelab_workspace(
            self, info: Info, codelab_id: CodelabArg,
            structure_type: Annotated[str, strawberry.argument(
                description="`branch` or `folder`.")] = "branch",
            files: list[CodelabWorkspaceFileInput] | None = None) -> CodelabWorkspacePayload:
        view = await codelab_workspaces.create(info.context, codelab_id=_codelab(codelab_id),
                                               structure_type=structure_type,
                                               files=_files(files))
        return CodelabWorkspacePayload(workspace=CodelabWorkspace.from_view(view))

    @strawberry.mutation(description="Delete a codelab's workspace and its files.")
    async def delete_codelab_workspace(self, info: Info,
                                       codelab_id: CodelabArg) -> DeleteCodelabWorkspacePayload:
        await codelab_workspaces.delete(info.context, codelab_id=_codelab(codelab_id))
        return DeleteCodelabWorkspacePayload(codelab_id=codelab_id)

    @strawberry.mutation(description="Branch `step-<n>-<start|end>` at `main`'s last commit.")
    async def create_codelab_workspace_branch(
            self, info: Info, codelab_id: CodelabArg, step_number: int,
            branch_type: Annotated[str, strawberry.argument(description="`start` or `end`.")]
    ) -> CodelabWorkspaceStepPayload:
        number = _codelab(codelab_id)
        name = await codelab_workspaces.create_branch(info.context, codelab_id=number,
                                                      step_number=step_number,
                                                      branch_type=branch_type)
        return CodelabWorkspaceStepPayload(name=name, workspace=await _payload(info, number))

    @strawberry.mutation(description="Folder `step-<n>-<start|end>` holding `files`.")
    async def create_codelab_workspace_folder(
            self, info: Info, codelab_id: CodelabArg, step_number: int,
            folder_type: Annotated[str, strawberry.argument(description="`start` or `end`.")],
            files: list[CodelabWorkspaceFileInput] | None = None
    ) -> CodelabWorkspaceStepPayload:
        number = _codelab(codelab_id)
        name = await codelab_workspaces.create_folder(info.context, codelab_id=number,
                                                      step_number=step_number,
                                                      folder_type=folder_type,
                                                      files=_files(files))
        return CodelabWorkspaceStepPayload(name=name, workspace=await _payload(info, number))

    @strawberry.mutation(description="Write files into a branch (one commit) or a folder, "
                                     "then remove `deleteFiles`.")
    async def write_codelab_workspace_files(
            self, info: Info, codelab_id: CodelabArg,
            files: list[CodelabWorkspaceFileInput],
            branch: BranchArg = None, folder: FolderArg = None,
            delete_files: Annotated[list[str] | None, strawberry.argument(
                description="Files or folders to remove after writing.")] = None,
            commit_message: Annotated[str | None, strawberry.argument(
                description="The commit's message, for a branch.")] = None,
    ) -> CodelabWorkspacePayload:
        number = _codelab(codelab_id)
        await codelab_workspaces.write_files(info.context, codelab_id=number, branch=branch,
                                             folder=folder, files=_files(files),
                                             delete_files=delete_files or [],
                                             commit_message=commit_message)
        return CodelabWorkspacePayload(workspace=await _payload(info, number))
