"""Code-server workspaces: ``/codeserver...``.

A codelab's workspace holds its starter files and each step's start and end
state, as git branches (``structure_type: "branch"``, the default) or as folders
(``"folder"``). Every route is for the codelab's facilitators: 401 without a
session, 403 for its attendees and other instructors, 404 ``Codelab not found``
for a codelab the caller cannot read and ``Workspace not found`` before one is
created. Where the reference is silent:

- ``POST /codeserver`` ``{codelab_id, structure_type?, workspace_files?}``
  answers ``{codelab_id, path, structure_type, created_at}``; ``path`` is the
  workspace's folder relative to the server's data directory
  (``workspaces/codelab_12``), the folder a code-server instance opens. The
  files go on branch ``main`` (a git repository, written with dulwich, ``main``
  checked out in the folder) or at the folder's top. A second workspace for a
  codelab is 409. ``GET /codeserver/:id`` answers the same object; ``DELETE``
  removes the workspace and its files (204).
- ``POST .../branch`` ``{step_number, branch_type}`` makes branch
  ``step-<n>-<start|end>`` at ``main``'s last commit; ``POST .../folder``
  ``{step_number, folder_type, files?}`` makes folder ``step-<n>-<start|end>``
  holding ``files``. Both answer ``{"success": true, "branch"|"folder": name}``;
  an existing name is 409, ``step_number`` is 1 to 200, the type ``start`` or
  ``end``; a branch route on a folder workspace (or the reverse) is 400.
- ``GET .../branches`` and ``GET .../folders`` list names (sorted; folders are
  the workspace's top-level folders). ``GET .../branches/:b/files`` and
  ``.../folders/:f/files`` list file paths, relative and sorted (symbolic links
  left out). ``GET .../file?file=path`` answers the file's bytes,
  ``text/plain; charset=utf-8`` when they are UTF-8, else
  ``application/octet-stream``. A missing branch, folder or file is 404.
- ``POST .../branches/:b/files`` and ``.../folders/:f/files``
  ``{files: [{path, content}], delete_files?: [path], commit_message?}`` write
  the files and then remove the paths (files or folders; a missing one is
  skipped); on a branch that is one commit (message default "Update workspace
  files") and, on ``main``, the folder on disk follows. ``{"success": true}``.
- ``GET .../download`` answers the workspace as ``application/zip`` (an
  attachment, everything under ``codelab_<n>-workspace/``, with ``.git`` for
  branches so every branch comes along); the reference sent a tarball.
- Paths are relative: ``..``, ``.``, empty parts, absolute or drive paths,
  backslashes, control characters and ``.git`` are 400, and so is a path that
  goes through a symbolic link on disk (never followed). Bounds, each 400: 500
  files a request, 1 MiB a file, 8 MiB a request, 64 MiB and 20,000 files a
  workspace on disk (``.git`` included), 96 MiB a download,
  paths of 512 characters and 20 parts, 500 branches or folders, 5,000 files
  listed; a file past 1 MiB on disk is read through the download.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from starlette.responses import Response

from core.input_bounds import LONG_TEXT_LENGTH
from resolvers import codelab_workspaces
from resolvers.codelab_workspace_files import PATH_MAX
from resolvers.codelab_workspaces import FILES_MAX, MESSAGE_MAX, FileInput, WorkspaceView
from rest_compat import returns as out
from rest_compat.base import FaceRequest, JSONResponse, Route, iso
from rest_compat.codelabs import shapes
from rest_compat.codelabs.shapes import Body, no_content

BASE = "/codeserver"
SUCCESS = '{"success": true}'


class WorkspaceFile(Body):
    path: str = Field(max_length=PATH_MAX)
    content: str = Field(max_length=LONG_TEXT_LENGTH)


class WorkspaceCreate(Body):
    codelab_id: str = Field(max_length=40)
    structure_type: str | None = Field(default=None, max_length=20)
    workspace_files: list[WorkspaceFile] | None = Field(default=None, max_length=FILES_MAX)


class BranchCreate(Body):
    step_number: int
    branch_type: str = Field(max_length=20)


class FolderCreate(Body):
    step_number: int
    folder_type: str = Field(max_length=20)
    files: list[WorkspaceFile] = Field(default_factory=list, max_length=FILES_MAX)


class FilesUpdate(Body):
    files: list[WorkspaceFile] = Field(max_length=FILES_MAX)
    delete_files: list[str] | None = Field(default=None, max_length=FILES_MAX)
    commit_message: str | None = Field(default=None, max_length=MESSAGE_MAX)


class FileQuery(BaseModel):
    file: str = Field(min_length=1, max_length=PATH_MAX)


def _workspace(view: WorkspaceView) -> dict:
    return {"codelab_id": shapes.codelab_ref(view.codelab_id), "path": view.path,
            "structure_type": view.structure_type, "created_at": iso(view.created_at)}


WORKSPACE = out.obj(codelab_id=out.STRING, path=out.STRING, structure_type=out.STRING,
                    created_at=out.STRING)
FILE = out.Body("application/octet-stream", {
    "type": "string", "contentEncoding": "binary",
    "description": "The file's bytes (text/plain; charset=utf-8 when they are UTF-8)."})
SUCCEEDED = out.obj(success=out.BOOLEAN)


def _files(items: list[WorkspaceFile] | None) -> list[FileInput]:
    return [FileInput(path=f.path, content=f.content) for f in items or []]


def _codelab(req: FaceRequest) -> int:
    return shapes.codelab_id(req.path["codelab_id"])


def _content(data: bytes) -> Response:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return Response(data, media_type="application/octet-stream")
    return Response(data, media_type="text/plain; charset=utf-8")


async def create_workspace(req: FaceRequest) -> Response:
    body: WorkspaceCreate = req.body
    view = await codelab_workspaces.create(
        req.ctx, codelab_id=shapes.codelab_id(body.codelab_id),
        structure_type=body.structure_type or "branch", files=_files(body.workspace_files))
    return JSONResponse(_workspace(view))


async def get_workspace(req: FaceRequest) -> Response:
    return JSONResponse(_workspace(await codelab_workspaces.get(req.ctx,
                                                                codelab_id=_codelab(req))))


async def delete_workspace(req: FaceRequest) -> Response:
    await codelab_workspaces.delete(req.ctx, codelab_id=_codelab(req))
    return no_content()


async def create_branch(req: FaceRequest) -> Response:
    body: BranchCreate = req.body
    name = await codelab_workspaces.create_branch(req.ctx, codelab_id=_codelab(req),
                                                  step_number=body.step_number,
                                                  branch_type=body.branch_type)
    return JSONResponse({"success": True, "branch": name})


async def create_folder(req: FaceRequest) -> Response:
    body: FolderCreate = req.body
    name = await codelab_workspaces.create_folder(req.ctx, codelab_id=_codelab(req),
                                                  step_number=body.step_number,
                                                  folder_type=body.folder_type,
                                                  files=_files(body.files))
    return JSONResponse({"success": True, "folder": name})


async def download(req: FaceRequest) -> Response:
    name, data = await codelab_workspaces.download(req.ctx, codelab_id=_codelab(req))
    return Response(data, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


async def list_branches(req: FaceRequest) -> Response:
    return JSONResponse(await codelab_workspaces.branches(req.ctx, codelab_id=_codelab(req)))


async def list_folders(req: FaceRequest) -> Response:
    return JSONResponse(await codelab_workspaces.folders(req.ctx, codelab_id=_codelab(req)))


async def branch_files(req: FaceRequest) -> Response:
    return JSONResponse(await codelab_workspaces.list_files(
        req.ctx, codelab_id=_codelab(req), branch=req.path["branch"]))


async def folder_files(req: FaceRequest) -> Response:
    return JSONResponse(await codelab_workspaces.list_files(
        req.ctx, codelab_id=_codelab(req), folder=req.path["folder"]))


async def branch_file(req: FaceRequest) -> Response:
    return _content(await codelab_workspaces.read_file(
        req.ctx, codelab_id=_codelab(req), branch=req.path["branch"], path=req.params.file))


async def folder_file(req: FaceRequest) -> Response:
    return _content(await codelab_workspaces.read_file(
        req.ctx, codelab_id=_codelab(req), folder=req.path["folder"], path=req.params.file))


async def write_branch_files(req: FaceRequest) -> Response:
    body: FilesUpdate = req.body
    await codelab_workspaces.write_files(
        req.ctx, codelab_id=_codelab(req), branch=req.path["branch"], files=_files(body.files),
        delete_files=body.delete_files or [], commit_message=body.commit_message)
    return JSONResponse({"success": True})


async def write_folder_files(req: FaceRequest) -> Response:
    body: FilesUpdate = req.body
    await codelab_workspaces.write_files(
        req.ctx, codelab_id=_codelab(req), folder=req.path["folder"], files=_files(body.files),
        delete_files=body.delete_files or [])
    return JSONResponse({"success": True})


_ONE = BASE + "/{codelab_id}"
_TAG = "code-server"
_READ = {401: "login required", 403: "not its facilitator", 404: "no such workspace"}
_WRITE = {**_READ, 400: "bad input, or a path leaving the workspace"}

ROUTES = [
    Route("POST", BASE, create_workspace, auth=True, body=WorkspaceCreate, tag=_TAG,
          max_string_length=LONG_TEXT_LENGTH, summary="Create a codelab's workspace",
          responses={200: "workspace", **_WRITE, 409: "it has one"},
          returns={200: WORKSPACE}),
    Route("GET", _ONE, get_workspace, auth=True, tag=_TAG, summary="A codelab's workspace",
          responses={200: "workspace", **_READ},
          returns={200: WORKSPACE}),
    Route("DELETE", _ONE, delete_workspace, auth=True, tag=_TAG,
          summary="Delete a workspace and its files", responses={204: "deleted", **_READ}),
    Route("POST", _ONE + "/branch", create_branch, auth=True, body=BranchCreate, tag=_TAG,
          summary="Branch step-<n>-<start|end> at main",
          responses={200: SUCCESS, **_WRITE, 409: "the branch exists"},
          returns={200: out.obj(success=out.BOOLEAN, branch=out.STRING)}),
    Route("POST", _ONE + "/folder", create_folder, auth=True, body=FolderCreate, tag=_TAG,
          max_string_length=LONG_TEXT_LENGTH, summary="Folder step-<n>-<start|end> with files",
          responses={200: SUCCESS, **_WRITE, 409: "the folder exists"},
          returns={200: out.obj(success=out.BOOLEAN, folder=out.STRING)}),
    Route("GET", _ONE + "/download", download, auth=True, tag=_TAG,
          summary="The workspace as a ZIP archive", responses={200: "application/zip", **_READ},
          returns={200: out.ZIP}),
    Route("GET", _ONE + "/branches", list_branches, auth=True, tag=_TAG,
          summary="The workspace's branches", responses={200: "string[]", **_READ},
          returns={200: out.array(out.STRING)}),
    Route("GET", _ONE + "/branches/{branch}/files", branch_files, auth=True, tag=_TAG,
          summary="The files of a branch", responses={200: "string[]", **_READ},
          returns={200: out.array(out.STRING)}),
    Route("GET", _ONE + "/branches/{branch}/file", branch_file, auth=True, query=FileQuery,
          tag=_TAG, summary="A file of a branch (?file=path)",
          responses={200: "the file's bytes", **_WRITE},
          returns={200: FILE}),
    Route("POST", _ONE + "/branches/{branch}/files", write_branch_files, auth=True,
          body=FilesUpdate, tag=_TAG, max_string_length=LONG_TEXT_LENGTH,
          summary="Write and delete files in a branch (one commit)",
          responses={200: SUCCESS, **_WRITE},
          returns={200: SUCCEEDED}),
    Route("GET", _ONE + "/folders", list_folders, auth=True, tag=_TAG,
          summary="The workspace's folders", responses={200: "string[]", **_READ},
          returns={200: out.array(out.STRING)}),
    Route("GET", _ONE + "/folders/{folder}/files", folder_files, auth=True, tag=_TAG,
          summary="The files of a folder", responses={200: "string[]", **_READ},
          returns={200: out.array(out.STRING)}),
    Route("GET", _ONE + "/folders/{folder}/file", folder_file, auth=True, query=FileQuery,
          tag=_TAG, summary="A file of a folder (?file=path)",
          responses={200: "the file's bytes", **_WRITE},
          returns={200: FILE}),
    Route("POST", _ONE + "/folders/{folder}/files", write_folder_files, auth=True,
          body=FilesUpdate, tag=_TAG, max_string_length=LONG_TEXT_LENGTH,
          summary="Write and delete files in a folder", responses={200: SUCCESS, **_WRITE},
          returns={200: SUCCEEDED}),
]
