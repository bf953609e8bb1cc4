"""The learngraph command, run as a real subprocess against the test database."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from schema import export_sdl
from tests.fixtures import gql

ROOT = Path(__file__).resolve().parents[2]


async def learngraph(*args: str, database_url: str | None = None,
                     env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "LEARNGRAPH_DATA_DIR": tempfile.mkdtemp(), **(env or {})}
    if database_url:
        environment["DATABASE_URL"] = database_url
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "core.cli", *args], cwd=ROOT, env=environment,
        capture_output=True, text=True, timeout=120)


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
