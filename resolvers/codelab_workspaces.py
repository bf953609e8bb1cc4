"""A codelab's code-server workspace: its starter files, and each step's start and
end state as git branches (``branch`` structure) or as folders (``folder``).

Only the codelab's facilitators (its creator and platform admins) see or change a
workspace; for anyone else who can read the codelab it is Forbidden, and a
codelab they cannot read is NotFound. The workspace lives in
``<data dir>/workspaces/codelab_<n>`` (the face's ``path``) so a code-server
instance can open that folder; its row (``codelab_workspaces``) says it exists
and how it is structured. The file work (``resolvers.codelab_workspace_files``)
runs in a thread; every change holds the row's lock, so changes to one
workspace never interleave, across instances too. Changes are in the audit log.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import Context
from core.errors import Conflict, NotFound, Validation
from models.codelab_files import CodelabWorkspace
from resolvers import codelab_audit, codelabs
from resolvers import codelab_workspace_files as files_on_disk
from resolvers.codelab_workspace_files import BRANCH, FOLDER

WORKSPACE_NOT_FOUND = "Workspace not found"
STRUCTURES = (BRANCH, FOLDER)
_PLURAL = {BRANCH: "branches", FOLDER: "folders"}
KINDS = ("start", "end")
FILES_MAX = 500
REQUEST_MAX_BYTES = 8 * 1024 * 1024
MESSAGE_MAX = 1000
STEP_MAX = codelabs.STEPS_MAX

# Audit actions (the reference's names).
CREATE = "workspace_create"
DELETE = "codeserver_delete"
BRANCH_CREATE = "codeserver_branch_create"
FOLDER_CREATE = "workspace_folder_create"
BRANCH_UPDATE = "workspace_branch_update"
FOLDER_UPDATE = "workspace_folder_update"
DOWNLOAD = "codeserver_download"


@dataclass(frozen=True)
class WorkspaceView:
    """A workspace: its codelab, its structure and where its files are."""

    codelab_id: int
    structure_type: str
    path: str
    created_at: datetime


@dataclass(frozen=True)
class FileInput:
    path: str
    content: str


def _root(ctx: Context, codelab_id: int) -> Path:
    return files_on_disk.root_for(Path(ctx.settings.data_dir), codelab_id)


def _view(row: CodelabWorkspace) -> WorkspaceView:
    return WorkspaceView(codelab_id=row.course_id, structure_type=row.structure_type,
                         path=files_on_disk.relative_root(row.course_id),
                         created_at=row.created_at)


def _check_files(files: list[FileInput], field: str = "files"
                 ) -> list[files_on_disk.FileWrite]:
    if len(files) > FILES_MAX:
        raise Validation(f"{field} may hold at most {FILES_MAX} files", details={"field": field})
    checked = files_on_disk.check_files([(f.path, f.content) for f in files], field=field)
    if sum(len(f.data) for f in checked) > REQUEST_MAX_BYTES:
        raise Validation(f"{field} may hold at most {REQUEST_MAX_BYTES // 2**20} MiB in all",
                         details={"field": field})
    return checked


def _check_deletes(paths: list[str]) -> list[str]:
    if len(paths) > FILES_MAX:
        raise Validation(f"delete_files may hold at most {FILES_MAX} paths",
                         details={"field": "delete_files"})
    return [files_on_disk.check_path(p, field=f"delete_files.{i}") for i, p in enumerate(paths)]


def _check_step(step_number: int, kind: str, field: str) -> str:
    if not 1 <= step_number <= STEP_MAX:
        raise Validation(f"step_number must be 1 to {STEP_MAX}", details={"field": "step_number"})
    if kind not in KINDS:
        raise Validation(f"{field} must be 'start' or 'end'", details={"field": field})
    return files_on_disk.step_name(step_number, kind)


async def _row(session: AsyncSession, codelab_id: int, *, lock: bool) -> CodelabWorkspace:
    query = select(CodelabWorkspace).where(CodelabWorkspace.course_id == codelab_id)
    if lock:
        query = query.with_for_update()
    row = (await session.execute(query)).scalar_one_or_none()
    if row is None:
        raise NotFound(WORKSPACE_NOT_FOUND)
    return row


def _require(row: CodelabWorkspace, structure_type: str) -> None:
    if row.structure_type != structure_type:
        raise Validation(f"This workspace is structured as {_PLURAL[row.structure_type]}, "
                         f"not {_PLURAL[structure_type]}", details={"field": "structure_type"})


async def _read_row(ctx: Context, codelab_id: int) -> CodelabWorkspace:
    await codelabs.get_for_facilitator(ctx, codelab_id=codelab_id)
    async with ctx.db.session() as session:
        return await _row(session, codelab_id, lock=False)


async def get(ctx: Context, *, codelab_id: int) -> WorkspaceView:
    """The codelab's workspace (its facilitators)."""
    return _view(await _read_row(ctx, codelab_id))


async def create(ctx: Context, *, codelab_id: int, structure_type: str = BRANCH,
                 files: list[FileInput] = ()) -> WorkspaceView:
    """A new workspace holding ``files`` (on ``main`` for branches, at its top for
    folders); Conflict when the codelab has one."""
    await codelabs.get_for_facilitator(ctx, codelab_id=codelab_id)
    if structure_type not in STRUCTURES:
        raise Validation("structure_type must be 'branch' or 'folder'",
                         details={"field": "structure_type"})
    checked = _check_files(list(files), "workspace_files")
    async with ctx.db.transaction() as session:
        if await session.get(CodelabWorkspace, codelab_id, with_for_update=True):
            raise Conflict("The codelab already has a workspace")
        row = CodelabWorkspace(course_id=codelab_id, structure_type=structure_type)
        session.add(row)
        try:
            await session.flush()
        except IntegrityError:  # created meanwhile by another request
            raise Conflict("The codelab already has a workspace") from None
        await asyncio.to_thread(files_on_disk.create, _root(ctx, codelab_id),
                                structure_type=structure_type, files=checked)
        codelab_audit.record(session, ctx, action=CREATE, codelab_id=codelab_id,
                             target_id=codelab_id,
                             details={"structure_type": structure_type, "files": len(checked)})
        await session.refresh(row)
        return _view(row)


async def delete(ctx: Context, *, codelab_id: int) -> None:
    """Remove the workspace and its files."""
    await codelabs.get_for_facilitator(ctx, codelab_id=codelab_id)
    async with ctx.db.transaction() as session:
        row = await _row(session, codelab_id, lock=True)
        await session.delete(row)
        codelab_audit.record(session, ctx, action=DELETE, codelab_id=codelab_id,
                             target_id=codelab_id)
        await session.flush()
        await asyncio.to_thread(files_on_disk.delete, _root(ctx, codelab_id))


async def create_branch(ctx: Context, *, codelab_id: int, step_number: int,
                        branch_type: str) -> str:
    """Branch ``step-<n>-<start|end>`` at ``main``'s last commit; its name."""
    await codelabs.get_for_facilitator(ctx, codelab_id=codelab_id)
    name = _check_step(step_number, branch_type, "branch_type")
    async with ctx.db.transaction() as session:
        _require(await _row(session, codelab_id, lock=True), BRANCH)
        await asyncio.to_thread(files_on_disk.create_branch, _root(ctx, codelab_id), name)
        codelab_audit.record(session, ctx, action=BRANCH_CREATE, codelab_id=codelab_id,
                             target_id=codelab_id, details={"branch": name})
    return name


async def create_folder(ctx: Context, *, codelab_id: int, step_number: int, folder_type: str,
                        files: list[FileInput]) -> str:
    """Folder ``step-<n>-<start|end>`` holding ``files``; its name."""
    await codelabs.get_for_facilitator(ctx, codelab_id=codelab_id)
    name = _check_step(step_number, folder_type, "folder_type")
    checked = _check_files(list(files))
    async with ctx.db.transaction() as session:
        _require(await _row(session, codelab_id, lock=True), FOLDER)
        await asyncio.to_thread(files_on_disk.create_folder, _root(ctx, codelab_id), name,
                                checked)
        codelab_audit.record(session, ctx, action=FOLDER_CREATE, codelab_id=codelab_id,
                             target_id=codelab_id, details={"folder": name,
                                                            "files": len(checked)})
    return name


async def branches(ctx: Context, *, codelab_id: int) -> list[str]:
    """The workspace's branches, sorted."""
    _require(await _read_row(ctx, codelab_id), BRANCH)
    return await asyncio.to_thread(files_on_disk.branches, _root(ctx, codelab_id))


async def folders(ctx: Context, *, codelab_id: int) -> list[str]:
    """The workspace's top-level folders, sorted."""
    _require(await _read_row(ctx, codelab_id), FOLDER)
    return await asyncio.to_thread(files_on_disk.folders, _root(ctx, codelab_id))


async def list_files(ctx: Context, *, codelab_id: int, branch: str | None = None,
                     folder: str | None = None) -> list[str]:
    """The files of a branch or of a folder (relative paths, sorted)."""
    if (branch is None) == (folder is None):
        raise Validation("Name a branch or a folder", details={"field": "branch"})
    row = await _read_row(ctx, codelab_id)
    root = _root(ctx, codelab_id)
    if branch is not None:
        _require(row, BRANCH)
        return await asyncio.to_thread(files_on_disk.branch_files, root, branch)
    _require(row, FOLDER)
    return await asyncio.to_thread(files_on_disk.folder_files, root, folder)


async def read_file(ctx: Context, *, codelab_id: int, path: str, branch: str | None = None,
                    folder: str | None = None) -> bytes:
    """One file of a branch or of a folder."""
    if (branch is None) == (folder is None):
        raise Validation("Name a branch or a folder", details={"field": "branch"})
    files_on_disk.check_path(path, field="file")
    row = await _read_row(ctx, codelab_id)
    root = _root(ctx, codelab_id)
    if branch is not None:
        _require(row, BRANCH)
        return await asyncio.to_thread(files_on_disk.read_branch_file, root, branch, path)
    _require(row, FOLDER)
    return await asyncio.to_thread(files_on_disk.read_folder_file, root, folder, path)


async def write_files(ctx: Context, *, codelab_id: int, files: list[FileInput],
                      delete_files: list[str] = (), branch: str | None = None,
                      folder: str | None = None, commit_message: str | None = None) -> None:
    """Write and remove files in a branch (one commit) or in a folder."""
    if (branch is None) == (folder is None):
        raise Validation("Name a branch or a folder", details={"field": "branch"})
    await codelabs.get_for_facilitator(ctx, codelab_id=codelab_id)
    checked = _check_files(list(files))
    deletes = _check_deletes(list(delete_files))
    message = (commit_message or "").strip() or "Update workspace files"
    if len(message) > MESSAGE_MAX or "\x00" in message or not files_on_disk.is_text(message):
        raise Validation(f"commit_message must be at most {MESSAGE_MAX} characters of text",
                         details={"field": "commit_message"})
    root = _root(ctx, codelab_id)
    async with ctx.db.transaction() as session:
        row = await _row(session, codelab_id, lock=True)
        if branch is not None:
            _require(row, BRANCH)
            await asyncio.to_thread(files_on_disk.write_branch_files, root, branch, checked,
                                    deletes, message)
        else:
            _require(row, FOLDER)
            await asyncio.to_thread(files_on_disk.write_folder_files, root, folder, checked,
                                    deletes)
        codelab_audit.record(
            session, ctx, action=BRANCH_UPDATE if branch is not None else FOLDER_UPDATE,
            codelab_id=codelab_id, target_id=codelab_id,
            details={"branch" if branch is not None else "folder": (branch or folder)[:100],
                     "files_updated": len(checked), "files_deleted": len(deletes)})


async def download(ctx: Context, *, codelab_id: int) -> tuple[str, bytes]:
    """The workspace as a ZIP archive, and a file name for it."""
    await codelabs.get_for_facilitator(ctx, codelab_id=codelab_id)
    top = f"codelab_{codelab_id}-workspace"
    # The row is share-locked while the archive is made, so no change lands half-way.
    async with ctx.db.transaction() as session:
        row = await session.get(CodelabWorkspace, codelab_id, with_for_update={"read": True})
        if row is None:
            raise NotFound(WORKSPACE_NOT_FOUND)
        data = await asyncio.to_thread(files_on_disk.archive, _root(ctx, codelab_id), top)
        codelab_audit.record(session, ctx, action=DOWNLOAD, codelab_id=codelab_id,
                             target_id=codelab_id)
    return f"{top}.zip", data
