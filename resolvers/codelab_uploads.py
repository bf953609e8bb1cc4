"""Files sent to workshops: their type told by their bytes, images re-encoded to WebP.

The name and content type a client declares are never trusted: a file is stored
under a random name whose extension comes from what its bytes are, from a short
list of types a browser shows safely (no HTML, no SVG), so a file served back
from ``/files/`` can never run as a page of this origin.
"""

from __future__ import annotations

import asyncio
import io
import re
import uuid
import zipfile
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from core.auth.viewer import ROLE_INSTRUCTOR
from core.context import Context
from core.errors import Validation

# Below the server's 10 MiB body limit, so an oversize file gets this clear 400.
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
NAME_MAX = 255
WEBP_QUALITY = 85

# Extensions a text file keeps (served as text/* or as a download, never as a page).
TEXT_EXTENSIONS = frozenset({"txt", "md", "py", "js", "ts", "java", "kt", "go", "rs", "c",
                             "h", "cpp", "cs", "rb", "php", "sh", "sql", "csv", "json",
                             "yaml", "yml", "toml", "ini", "log"})
# Archives a zip file may be called by (office documents are zip files).
ZIP_EXTENSIONS = frozenset({"zip", "docx", "pptx", "xlsx", "odt", "odp", "ods", "jar"})
_SIGNATURES = ((b"%PDF-", "application/pdf", "pdf"),
               (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
               (b"\xff\xd8\xff", "image/jpeg", "jpg"),
               (b"GIF87a", "image/gif", "gif"),
               (b"GIF89a", "image/gif", "gif"))


@dataclass(frozen=True)
class SniffedFile:
    """A file whose type its bytes told: what to store it as."""

    original_name: str
    content_type: str
    extension: str
    data: bytes


def clean_name(name: str | None) -> str:
    """The last path component of a client's file name, printable, at most 255 chars."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:NAME_MAX] or "file"


def _extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _sniff(name: str, data: bytes) -> SniffedFile | None:
    for signature, content_type, extension in _SIGNATURES:
        if data.startswith(signature):
            return SniffedFile(name, content_type, extension, data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return SniffedFile(name, "image/webp", "webp", data)
    if data.startswith(b"PK\x03\x04") and zipfile.is_zipfile(io.BytesIO(data)):
        extension = _extension_of(name)
        return SniffedFile(name, "application/zip",
                           extension if extension in ZIP_EXTENSIONS else "zip", data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\x00" in text:
        return None
    extension = _extension_of(name)
    return SniffedFile(name, "text/plain", extension if extension in TEXT_EXTENSIONS else "txt",
                       data)


def _check_size(data: bytes) -> None:
    if not data:
        raise Validation("The uploaded file is empty", details={"field": "file"})
    if len(data) > MAX_FILE_BYTES:
        raise Validation("A file may be at most 8 MiB",
                         details={"field": "file", "max_bytes": MAX_FILE_BYTES})


async def sniff(*, name: str | None, data: bytes) -> SniffedFile:
    """``data`` as one of the accepted types (PDF, PNG, JPEG, GIF, WebP, ZIP, UTF-8 text),
    or Validation."""
    _check_size(data)
    found = await asyncio.to_thread(_sniff, clean_name(name), data)
    if found is None:
        raise Validation("Unsupported file type: send a PDF, an image, a ZIP archive or a "
                         "UTF-8 text file", details={"field": "file"})
    return found


def _to_webp(data: bytes) -> bytes:
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("PNG", "JPEG", "GIF", "WEBP", "BMP"):
                raise Validation("Send a PNG, JPEG, GIF, WebP or BMP image",
                                 details={"field": "file"})
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise Validation("The image has too many pixels (at most 40 megapixels)",
                                 details={"field": "file"})
            image.load()
            mode = "RGBA" if image.mode in ("RGBA", "LA", "P", "PA") else "RGB"
            out = io.BytesIO()
            image.convert(mode).save(out, format="WEBP", quality=WEBP_QUALITY)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError,
            ValueError):
        raise Validation("The file is not an image that can be read",
                         details={"field": "file"}) from None


async def store_image(ctx: Context, *, data: bytes) -> str:
    """Re-encode an uploaded image to WebP, store it and return its URL (facilitators)."""
    ctx.viewer.require_role(ROLE_INSTRUCTOR)
    _check_size(data)
    webp = await asyncio.to_thread(_to_webp, data)
    return await ctx.storage.save(f"codelabs/images/{uuid.uuid4().hex}.webp", webp)
