"""Migration 0014: a video content type still as the demo seeded it takes the contract's
fields (only ``video_url`` required, the length as ``duration``), and back on downgrade."""

from __future__ import annotations

import asyncio
import json
import uuid

import asyncpg
from alembic import command
from sqlalchemy.engine import make_url

from core.db import asyncpg_dsn
from core.migrate import alembic_config, upgrade_async


async def test_the_seeded_video_type_and_its_items_take_the_contract_fields(pg_server_url):
    name = f"learngraph_migration_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(asyncpg_dsn(pg_server_url))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(pg_server_url).set(database=name).render_as_string(hide_password=False)
    try:
        await upgrade_async(url, "0013")
        conn = await asyncpg.connect(asyncpg_dsn(url))
        try:
            await conn.execute("""
                INSERT INTO content_types (id, name, label, required_fields) VALUES
                    (1, 'video', 'Video lecture', '["video_url", "duration_seconds"]'),
                    (2, 'clip', 'Clip', '["video_url", "duration_seconds"]');
                INSERT INTO courses (id, title, code) VALUES (1, 'C', 'C1');
                INSERT INTO modules (id, course_id, title) VALUES (1, 1, 'M');
                INSERT INTO content_items (module_id, course_id, content_type_id, title, data_json)
                VALUES (1, 1, 1, 'v', '{"video_url": "u", "duration_seconds": 600}'),
                       (1, 1, 2, 'c', '{"video_url": "u", "duration_seconds": 60}');""")

            async def state():
                types = {r["name"]: (r["label"], json.loads(r["required_fields"]))
                         for r in await conn.fetch("SELECT * FROM content_types")}
                items = {r["title"]: json.loads(r["data_json"])
                         for r in await conn.fetch("SELECT * FROM content_items")}
                return types, items

            before = await state()
            await upgrade_async(url, "0014")
            assert await state() == (
                {"video": ("Video", ["video_url"]),
                 "clip": ("Clip", ["video_url", "duration_seconds"])},  # not the seeded one
                {"v": {"video_url": "u", "duration": 600},
                 "c": {"video_url": "u", "duration_seconds": 60}})
            await asyncio.to_thread(command.downgrade, alembic_config(url), "0013")
            assert await state() == before
        finally:
            await conn.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
