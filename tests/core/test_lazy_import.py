"""Modules imported on first use (core.lazy): a caller that comes while the import runs
in its thread waits for it to finish."""

from __future__ import annotations

import asyncio
import sys

from core import lazy


async def test_a_caller_during_the_import_waits_for_all_of_the_module(tmp_path, monkeypatch):
    (tmp_path / "slow_to_import_module.py").write_text(
        "import time\ntime.sleep(0.3)\nLAST_NAME = 'defined'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "slow_to_import_module", raising=False)
    stand_in = lazy.module("slow_to_import_module")

    async def first_use() -> str:
        await lazy.loaded(stand_in)
        return stand_in.LAST_NAME

    try:
        first = asyncio.create_task(first_use())
        await asyncio.sleep(0.1)  # the first caller's import is under way in its thread
        assert await first_use() == "defined"
        assert await first == "defined"
        await lazy.loaded(stand_in)  # done: no thread again
    finally:
        sys.modules.pop("slow_to_import_module", None)
