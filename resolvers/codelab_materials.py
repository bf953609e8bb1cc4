"""Workshop materials: links and uploaded files a codelab's facilitators offer.

A file material names a file stored by ``upload_material`` (its URL, or its
storage key); deleting the material deletes the file.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import func, select

from core.auth.viewer import ROLE_INSTRUCTOR
from core.context import Context
from core.errors import NotFound, Validation
from core.planning import stored_file_url
from loaders.codelab_files import MaterialsByCourseIdLoader
from models.codelab_files import CodelabMaterial
from resolvers import codelab_uploads, codelabs

TITLE_MAX = 300
URL_MAX = 2048
MATERIALS_MAX = 200
MATERIAL_NOT_FOUND = "Material not found"
KEY_PREFIX = "codelabs/materials/"
_KEY = re.compile(r"codelabs/materials/[0-9a-f]{32}\.[a-z0-9]{1,8}")


@dataclass(frozen=True)
class UploadedMaterial:
    """A stored material file: its URL and the name it was sent with."""

    url: str
    original_name: str


async def upload(ctx: Context, *, name: str | None, data: bytes) -> UploadedMaterial:
    """Store a material file under a random name with the extension its bytes tell
    (facilitators)."""
    ctx.viewer.require_role(ROLE_INSTRUCTOR)
    found = await codelab_uploads.sniff(name=name, data=data)
    url = await ctx.storage.save(f"{KEY_PREFIX}{uuid.uuid4().hex}.{found.extension}", data)
    return UploadedMaterial(url=url, original_name=found.original_name)


def _storage_key(ctx: Context, file_path: str) -> str:
    key = ctx.storage.key_for_url(file_path)
    if key is None:
        path = urlsplit(file_path).path
        key = path.split("/files/", 1)[1] if "/files/" in path else file_path.lstrip("/")
    if not _KEY.fullmatch(key):
        raise Validation("file_path must be a URL answered by the material upload",
                         details={"field": "file_path"})
    return key


def _link(url: str | None) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if len(url) > URL_MAX or parts.scheme not in ("http", "https") or not parts.netloc:
        raise Validation("link_url must be an http or https URL (at most 2,048 characters)",
                         details={"field": "link_url"})
    return url


async def create(ctx: Context, *, codelab_id: int, title: str, material_type: str,
                 link_url: str | None, file_path: str | None) -> CodelabMaterial:
    """Add a link or an uploaded file to a codelab (its facilitators)."""
    await codelabs.get_for_facilitator(ctx, codelab_id=codelab_id)
    title = (title or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise Validation(f"title must be 1 to {TITLE_MAX} characters",
                         details={"field": "title"})
    row = CodelabMaterial(course_id=codelab_id, title=title, material_type=material_type)
    if material_type == "link":
        row.link_url = _link(link_url)
    elif material_type == "file":
        if not file_path:
            raise Validation("file_path is required for a file material",
                             details={"field": "file_path"})
        row.storage_key = _storage_key(ctx, file_path)
    else:
        raise Validation("material_type must be link or file",
                         details={"field": "material_type"})
    async with ctx.db.transaction() as session:
        count = (await session.execute(select(func.count()).where(
            CodelabMaterial.course_id == codelab_id))).scalar_one()
        if count >= MATERIALS_MAX:
            raise Validation(f"A codelab has at most {MATERIALS_MAX} materials",
                             details={"field": "materials"})
        session.add(row)
        await session.flush()
        await session.refresh(row)
    return row


async def get_all(ctx: Context, *, codelab_id: int) -> list[CodelabMaterial]:
    """A codelab's materials in the order they were added (whoever may read it)."""
    await codelabs.get(ctx, codelab_id=codelab_id)
    return await ctx.loaders.get(MaterialsByCourseIdLoader).load(codelab_id)


async def delete(ctx: Context, *, codelab_id: int, material_id: int) -> None:
    """Remove a material and its stored file (the codelab's facilitators)."""
    await codelabs.get_for_facilitator(ctx, codelab_id=codelab_id)
    async with ctx.db.transaction() as session:
        row = await session.get(CodelabMaterial, material_id, with_for_update=True)
        if row is None or row.course_id != codelab_id:
            raise NotFound(MATERIAL_NOT_FOUND)
        key = row.storage_key
        await session.delete(row)
    if key:
        await ctx.storage.delete(key)


def file_url(ctx: Context, row: CodelabMaterial) -> str | None:
    """Where a file material is served (none for a link)."""
    return ctx.storage.url(row.storage_key) if row.storage_key else None


def file_url_value():
    """``file_url`` as a SQL expression on materials (the storage's URL of the key)."""
    return stored_file_url(func.nullif(CodelabMaterial.storage_key, ""))
