"""``learngraph serve --reload``: a changed source file restarts the server process with
the change, the database staying up; Ctrl-C stops everything."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx

from core.cli import WATCHED
from tests.core.test_cli import ROOT, _ctrl_c, _free_port, _postgres_running, learngraph
from tests.fixtures import initialized_cluster


def copy_of_the_code(target: Path) -> Path:
    """The server's code in ``target``, to be edited there (never in the checkout)."""
    for name in WATCHED:
        shutil.copytree(ROOT / name, target / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "alembic.ini", target / "alembic.ini")
    return target


async def health(http: httpx.AsyncClient) -> dict | None:
    with contextlib.suppress(httpx.TransportError):
        response = await http.get("/healthz")
        if response.status_code == 200:
            return response.json()
    return None


async def wait_for(process, http: httpx.AsyncClient, expected: dict) -> None:
    for _ in range(900):
        if process.returncode is not None:
            raise AssertionError((await process.stdout.read()).decode())
        if await health(http) == expected:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"never answered {expected}")


def running(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def pids(output: str) -> list[int]:
    return [int(p) for p in re.findall(r"Started server process \[(\d+)\]", output)]


async def test_a_changed_file_restarts_the_server_with_the_change(scratch):
    code = copy_of_the_code(scratch / "code")
    data_dir, port = scratch / "data", _free_port()
    initialized_cluster(data_dir / "pg")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(LEARNGRAPH_DATA_DIR=str(data_dir), LEARNGRAPH_JOBS="off",
               LEARNGRAPH_LOG_FORMAT="text")
    # Run from the copy: its packages come first on the path of every process it starts.
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "core.cli", "serve", "--reload", "--port", str(port),
        cwd=code, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2) as http:
            await wait_for(process, http, {"status": "ok"})

            # When a source file is saved with a change
            health_py = code / "core" / "health.py"
            source = health_py.read_text()
            assert source.count('JSONResponse({"status": "ok"}') == 1
            health_py.write_text(source.replace('JSONResponse({"status": "ok"}',
                                                'JSONResponse({"status": "ok", "v": 2}'))

            # Then a new process serves it, on the same port and database
            await wait_for(process, http, {"status": "ok", "v": 2})
            assert (await http.get("/readyz")).json()["checks"]["database"] == "ok"

            # And a file that does not compile leaves nothing serving until the next save
            health_py.write_text(source + "\nthis is not python\n")
            for _ in range(300):
                if await health(http) is None:
                    break
                await asyncio.sleep(0.2)
            health_py.write_text(source)
            await wait_for(process, http, {"status": "ok"})
    finally:
        output = await _ctrl_c(process)
    assert "learngraph: reloading when files under core, schema" in output
    assert "learngraph: core/health.py changed; restarting" in output
    started = pids(output)
    assert len(started) == 3 and len(set(started)) == 3, output
    assert not any(running(pid) for pid in started)
    # The command returns once the database's postmaster has exited; the wait only
    # absorbs a slow /proc on a loaded machine.
    assert await eventually(lambda: not _postgres_running(data_dir), seconds=60), output
    assert not (data_dir / "pg" / "postmaster.pid").exists(), output
    # A fast shutdown slower than a minute (a checkpoint on a machine busy with disk
    # writes) falls back to an immediate one, which must not fail too.
    assert "(immediate shutdown)" not in output


async def eventually(condition, *, seconds: float) -> bool:
    """Whether ``condition()`` holds within ``seconds``, checked every 0.1 s."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


async def test_reload_runs_one_process():
    result = await learngraph("serve", "--reload", "--workers", "2")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "learngraph: --reload runs one server process; leave out --workers")
