"""File storage on the local disk, under the data directory.

Writes go to a thread (never block the event loop) and land atomically
(write to a temporary name, then rename). Files are served read-only at
``/files/<key>``.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path, PurePosixPath

from starlette.staticfiles import StaticFiles


class _Files(StaticFiles):
    async def check_config(self) -> None:
        # The folder appears with the first upload; until then every path is a 404
        # (starlette would refuse to serve from a missing folder: a 500).
        return None


class LocalStorage:
    def __init__(self, root: Path, *, public_url: str) -> None:
        self.root = Path(root).resolve()
        self.public_url = public_url.rstrip("/")
        self._static: StaticFiles | None = None

    def _path(self, key: str) -> Path:
        parts = PurePosixPath(key).parts
        if not parts or any(p in ("..", "") or p.startswith("/") for p in parts):
            raise ValueError(f"invalid storage key {key!r}")
        path = (self.root / Path(*parts)).resolve()
        if self.root not in path.parents:
            raise ValueError(f"invalid storage key {key!r}")
        return path

    def _write(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def save(self, key: str, data: bytes) -> str:
        """Store ``data`` under ``key`` and return its public URL."""
        await asyncio.to_thread(self._write, key, data)
        return self.url(key)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(lambda: self._path(key).unlink(missing_ok=True))

    async def read(self, key: str) -> bytes:
        return await asyncio.to_thread(self._path(key).read_bytes)

    @property
    def files_url(self) -> str:
        """Where stored files are served: a key's URL is this and the key."""
        return f"{self.public_url}/files/"

    def url(self, key: str) -> str:
        return self.files_url + key

    def key_for_url(self, url: str) -> str | None:
        prefix = self.files_url
        return url[len(prefix):] if url.startswith(prefix) else None

    def static_app(self) -> StaticFiles:
        if self._static is None:
            self._static = _Files(directory=self.root, check_dir=False)
        return self._static
