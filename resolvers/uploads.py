"""Files sent as base64 in JSON: decoded with bounds, and their type checked by content.

A declared MIME type must be one the caller allows and the bytes must look like
it (magic numbers for binary formats, UTF-8 for text, a JSON document for
JSON), so a file is never stored or shown to the model as something it is not.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from dataclasses import dataclass

from core.errors import Validation

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_BASE64_LENGTH = (MAX_FILE_BYTES * 4) // 3 + 4
TEXT_TYPES = frozenset({"text/plain", "text/markdown", "application/json"})


@dataclass(frozen=True)
class Upload:
    name: str
    mime_type: str
    data: bytes
    encoded: str  # the base64 text as received (handed to the model as is)


def _looks_like(mime_type: str, data: bytes) -> bool:
    if mime_type == "application/pdf":
        return data.startswith(b"%PDF-")
    if mime_type == "image/png":
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if mime_type == "image/jpeg":
        return data.startswith(b"\xff\xd8\xff")
    if mime_type == "image/webp":
        return data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    if mime_type in ("video/mp4", "video/quicktime"):
        return data[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free")
    if mime_type == "video/webm":
        return data.startswith(b"\x1a\x45\xdf\xa3")
    if mime_type in TEXT_TYPES:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return False
        if "\x00" in text:
            return False
        if mime_type == "application/json":
            try:
                json.loads(text)
            except ValueError:
                return False
        return True
    return False


def _decode(field: str, name: str, mime_type: str, encoded: str,
            allowed: frozenset[str]) -> Upload:
    mime_type = mime_type.strip().lower()
    if mime_type not in allowed:
        raise Validation(f"{field}: unsupported MIME type {mime_type[:60]!r}",
                         details={"field": field, "allowed": sorted(allowed)})
    if len(encoded) > MAX_BASE64_LENGTH:
        raise Validation(f"{field}: a file may be at most 10 MB",
                         details={"field": field, "max_bytes": MAX_FILE_BYTES})
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise Validation(f"{field}: data is not valid base64", details={"field": field}) \
            from None
    if not data:
        raise Validation(f"{field}: the file is empty", details={"field": field})
    if len(data) > MAX_FILE_BYTES:
        raise Validation(f"{field}: a file may be at most 10 MB",
                         details={"field": field, "max_bytes": MAX_FILE_BYTES})
    if not _looks_like(mime_type, data):
        raise Validation(f"{field}: the content is not {mime_type}",
                         details={"field": field})
    return Upload(name=name.strip() or "file", mime_type=mime_type, data=data,
                  encoded=encoded)


async def decode(*, field: str, name: str, mime_type: str, encoded: str,
                 allowed: frozenset[str]) -> Upload:
    """One base64 file checked against ``allowed`` MIME types and the size limit."""
    return await asyncio.to_thread(_decode, field, name, mime_type, encoded, allowed)
