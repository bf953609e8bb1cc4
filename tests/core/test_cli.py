"""The learngraph command, run as a real subprocess against the test database."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from schema import export_sdl
from tests.cli_session import Commands
from tests.fixtures import gql, initialized_cluster

ROOT = Path(__file__).resolve().parents[2]


COMMANDS = Commands()
atexit.register(COMMANDS.close)


async def learngraph(*args: str, database_url: str | None = None,
                     env: dict | None = None) -> subprocess.CompletedProcess:
    """``learngraph *args`` in a process of its own (one that runs the test process's
    commands in turn, tests/cli_session.py), with its own data directory unless ``env``
    names one (a variable None in ``env`` is left out)."""
    with tempfile.TemporaryDirectory(prefix="learngraph-test-cli-") as data_dir:
        environment = {**os.environ, "LEARNGRAPH_DATA_DIR": data_dir, **(env or {})}
        if database_url:
            environment["DATABASE_URL"] = database_url
        environment = {k: v for k, v in environment.items() if v is not None}
        return await asyncio.to_thread(COMMANDS.run, list(args), environment, timeout=120)


async def test_export_schema_prints_the_sdl():
    result = await learngraph("export-schema")
    assert result.returncode == 0, result.stderr
    assert result.stdout == export_sdl()


async def test_migrate_is_idempotent(database_url):
    result = await learngraph("migrate", database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert "database is up to date" in result.stdout


async def test_create_admin_then_sign_in_as_admin(client, database_url):
    result = await learngraph("create-admin", "Root@Example.com", "--password", "admin password 1",
                              database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert "created platform admin Root@example.com" in result.stdout
    result = await learngraph("create-admin", "root@example.com",
                              env={"LEARNGRAPH_ADMIN_PASSWORD": "admin password 2"},
                              database_url=database_url)
    assert "promoted root@example.com to platform admin" in result.stdout

    data = await gql(client, 'mutation { login(input: {email: "root@example.com", '
                             'password: "admin password 2"}) { user { roles } } }')
    assert data["login"]["user"]["roles"] == ["PLATFORM_ADMIN"]


async def test_create_admin_rejects_bad_input(database_url):
    result = await learngraph("create-admin", "not-an-email", "--password", "long enough 1",
                              database_url=database_url)
    assert result.returncode != 0
    assert "Invalid email address" in result.stderr
    result = await learngraph("create-admin", "a@example.com", "--password", "short",
                              database_url=database_url)
    assert result.returncode != 0
    assert "between 8 and 128" in result.stderr


async def test_seed_demo_runs_once(client, database_url):
    first = await learngraph("seed-demo", database_url=database_url)
    second = await learngraph("seed-demo", database_url=database_url)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "demo user: demo@learngraph.dev / password: learngraph-demo" in second.stdout
    data = await gql(client, 'mutation { login(input: {email: "demo@learngraph.dev", '
                             'password: "learngraph-demo"}) { user { displayName } } }')
    assert data["login"]["user"]["displayName"] == "Demo Learner"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _serve_until_healthy(data_dir: Path, port: int, *extra: str,
                               seed_demo: bool = True) -> asyncio.subprocess.Process:
    """``learngraph serve`` on the embedded PostgreSQL in ``data_dir``, in its own
    process group (as in a terminal, where Ctrl-C signals the whole group)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["LEARNGRAPH_DATA_DIR"] = str(data_dir)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "core.cli", "serve", "--port", str(port),
        *(["--seed-demo"] if seed_demo else []), *extra,
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2) as http:
        for _ in range(600):
            if process.returncode is not None:
                raise AssertionError((await process.stdout.read()).decode())
            with contextlib.suppress(httpx.TransportError):
                if (await http.get("/api/health")).status_code == 200:
                    return process
            await asyncio.sleep(0.2)
    process.kill()
    raise AssertionError("server did not become healthy")


async def _ctrl_c(process: asyncio.subprocess.Process) -> str:
    os.killpg(process.pid, signal.SIGINT)
    # Generous: stopping waits for the server processes and the database's checkpoint.
    output, _ = await asyncio.wait_for(process.communicate(), 240)
    assert process.returncode == 0, output
    return output.decode()


def _postgres_running(data_dir: Path) -> bool:
    pg_data = str((data_dir / "pg").resolve())
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if pg_data in cmdline.read_bytes().decode(errors="replace"):
                return True
    return False


async def test_serve_stops_cleanly_on_ctrl_c_and_reuses_its_data(scratch):
    data_dir, port = scratch / "data", _free_port()
    initialized_cluster(data_dir / "pg")
    base = f"http://127.0.0.1:{port}"

    process = await _serve_until_healthy(data_dir, port, "--workers", "2")
    async with httpx.AsyncClient(base_url=base) as http:
        response = await http.post("/api/auth/register", json={
            "email": "kept@example.com", "password": "kept across restarts"})
        assert response.json() == {"ok": True}
    output = await _ctrl_c(process)
    assert "demo user: demo@learngraph.dev / password: learngraph-demo" in output
    assert "Traceback" not in output
    assert not _postgres_running(data_dir)
    assert not (data_dir / "pg" / "postmaster.pid").exists()

    process = await _serve_until_healthy(data_dir, port)
    async with httpx.AsyncClient(base_url=base) as http:
        for email, password in (("kept@example.com", "kept across restarts"),
                                ("demo@learngraph.dev", "learngraph-demo")):
            response = await http.post("/api/auth/login",
                                       json={"email": email, "password": password})
            assert response.json() == {"ok": True}
    output = await _ctrl_c(process)
    assert "Running upgrade" not in output  # migrations were already applied
    assert not _postgres_running(data_dir)
