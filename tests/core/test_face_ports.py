"""LEARNGRAPH_FACE_PORTS through ``learngraph serve``: a named face answers on its own
port; an unknown face name or a bad value stops start-up with one clear line."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys

import httpx

from tests.core.test_cli import ROOT, _free_port, learngraph


async def test_a_named_face_answers_on_its_own_port(client, database_url):
    port, face_port = _free_port(), _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "LEARNGRAPH_JOBS": "0",
           "LEARNGRAPH_FACE_PORTS": f"openlearning={face_port}"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "core.cli", "serve", "--port", str(port), "--no-migrate",
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            for _ in range(300):
                assert process.returncode is None, (await process.stdout.read()).decode()
                with contextlib.suppress(httpx.TransportError):
                    own = await http.get(f"http://127.0.0.1:{face_port}/api/health")
                    break
                await asyncio.sleep(0.2)
            compat = await http.get(f"http://127.0.0.1:{port}/compat/openlearning/api/health")
            other_face = await http.get(f"http://127.0.0.1:{face_port}/api/v1/courses/")
        assert (own.status_code, own.json()) == (200, {"status": "ok", "database": None})
        assert (compat.status_code, compat.json()) == (200, own.json())
        # Only the named face is on its port.
        assert (other_face.status_code, other_face.json()) == (404, {"detail": "Not found"})
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, output.decode()
    assert "Traceback" not in output.decode()


async def test_an_unknown_face_stops_start_up_with_one_line(database_url):
    result = await learngraph("serve", "--port", str(_free_port()), "--no-migrate",
                              database_url=database_url,
                              env={"LEARNGRAPH_FACE_PORTS": "nosuchface=3115"})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(
        "learngraph: unknown face 'nosuchface' in LEARNGRAPH_FACE_PORTS (known: openlearning,")


async def test_a_malformed_value_stops_start_up_with_one_line(database_url):
    for value in ("openlearning", "openlearning=http", "=8001", "openlearning=70000"):
        result = await learngraph("serve", "--port", str(_free_port()), "--no-migrate",
                                  database_url=database_url,
                                  env={"LEARNGRAPH_FACE_PORTS": value})
        assert result.returncode == 1, value
        assert result.stderr.strip().splitlines() == [
            "learngraph: LEARNGRAPH_FACE_PORTS must be face=port pairs separated by commas, "
            f"e.g. openlearning=8001; got {value!r}"], value


async def test_two_servers_on_one_port_stop_start_up(database_url):
    port = _free_port()
    result = await learngraph("serve", "--port", str(port), "--no-migrate",
                              database_url=database_url,
                              env={"LEARNGRAPH_FACE_PORTS": f"openlearning={port}"})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "learngraph: LEARNGRAPH_FACE_PORTS gives one port to two servers "
        f"(openlearning={port}, main port {port})")
