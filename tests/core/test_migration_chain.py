"""The migrations form one line: one head, each file named by its own revision."""

from __future__ import annotations

import re
from pathlib import Path

from alembic.script import ScriptDirectory

from core.migrate import alembic_config


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("postgresql+asyncpg://unused/unused"))


def test_there_is_exactly_one_head():
    assert len(_scripts().get_heads()) == 1


def test_each_revision_follows_the_one_before_it_and_names_its_file():
    revisions = list(_scripts().walk_revisions())
    numbers = sorted(int(r.revision) for r in revisions)
    assert numbers == list(range(1, len(numbers) + 1))
    for script in revisions:
        assert re.match(rf"{script.revision}_", Path(script.path).name), script.path
        expected = f"{int(script.revision) - 1:04d}" if int(script.revision) > 1 else None
        assert script.down_revision == expected, script.path
