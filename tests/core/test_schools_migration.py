"""Migrations 0030 and 0031: school admins registered before schools existed get the
school they named (or one named after them) with their classes; the planned reads'
lookup functions answer a student's username and name; both go back on downgrade."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
from alembic import command
from sqlalchemy.engine import make_url

from core.db import asyncpg_dsn
from core.migrate import alembic_config, upgrade_async


async def test_existing_school_admins_get_their_school_and_classes(pg_server_url):
    name = f"learngraph_migration_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(asyncpg_dsn(pg_server_url))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(pg_server_url).set(database=name).render_as_string(hide_password=False)
    head, named, teacher, child = (uuid.uuid4() for _ in range(4))
    try:
        await upgrade_async(url, "0029")
        conn = await asyncpg.connect(asyncpg_dsn(url))
        try:
            await conn.executemany(
                "INSERT INTO users (id, email, display_name, roles, school_name, avatar_url) "
                "VALUES ($1, $2, $3, $4, $5, '')",
                [(head, "head@example.com", "Hana", ["SCHOOL_ADMIN"], "Hill School"),
                 (named, "solo@example.com", "Sol", ["SCHOOL_ADMIN"], "  "),
                 (teacher, "tess@example.com", "Tess", ["TEACHER"], "Hill School"),
                 (child, None, "Sofia", ["CHILD"], None)])
            await conn.execute("INSERT INTO classes (id, teacher_id, name) "
                               "VALUES (1, $1, '3B'), (2, $2, '4C')", head, teacher)
            await conn.execute("INSERT INTO child_credentials (user_id, username, pin_hash) "
                               "VALUES ($1, 'sofia001', 'x')", child)
            await conn.execute("INSERT INTO students (id, class_id, user_id, name, year_level) "
                               "VALUES (1, 2, $1, 'Sofia', 3)", child)
            await upgrade_async(url, "0031")
            schools = {r["user_id"]: (r["name"], r["role"]) for r in await conn.fetch(
                "SELECT s.name, f.user_id, f.role FROM schools s "
                "JOIN school_staff f ON f.school_id = s.id")}
            assert schools == {head: ("Hill School", "admin"), named: ("Sol's school", "admin")}
            classes = dict(await conn.fetch(
                "SELECT c.id, s.name FROM classes c LEFT JOIN schools s ON s.id = c.school_id"))
            assert classes == {1: "Hill School", 2: None}  # a teacher joins by code only
            assert await conn.fetchval("SELECT child_username($1)", child) == "sofia001"
            assert await conn.fetchval("SELECT student_name(1)") == "Sofia"
            assert await conn.fetchval("SELECT student_name(NULL)") is None
            await asyncio.to_thread(command.downgrade, alembic_config(url), "0029")
            assert await conn.fetchval("SELECT to_regclass('schools')") is None
            assert await conn.fetchval(
                "SELECT count(*) FROM information_schema.columns "
                "WHERE table_name = 'classes' AND column_name = 'school_id'") == 0
        finally:
            await conn.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
