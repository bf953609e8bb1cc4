"""The sliding window: at most ``limit`` hits in any ``window`` seconds, on the real
database clock, however the hits fall around a window's edge."""

from __future__ import annotations

import asyncio
import time

import pytest

from core import ratelimit
from core.errors import RateLimited


async def _until(moment: float) -> None:
    await asyncio.sleep(max(0.0, moment - time.time()))


async def test_no_burst_fits_across_a_window_edge(db, clean_db):
    window, limit = 4, 3
    # The last moments of one fixed window, then the first of the next: a fixed-window
    # counter allowed 2 x limit here.
    edge = (time.time() // window + 1) * window
    if edge - time.time() < 0.7:
        edge += window
    await _until(edge - 0.6)
    for _ in range(limit):
        await ratelimit.hit(db, key="edge", limit=limit, window_seconds=window)
    await _until(edge + 0.1)
    with pytest.raises(RateLimited) as refused:
        await ratelimit.hit(db, key="edge", limit=limit, window_seconds=window)
    # Free again once the first hit is ``window`` old: about 3.4 s after the edge.
    assert 1 <= refused.value.retry_after <= window


async def test_a_hit_is_free_again_when_the_oldest_leaves_the_window(db, clean_db):
    window, limit = 3, 2
    start = time.time()
    await ratelimit.hit(db, key="k", limit=limit, window_seconds=window)
    await _until(start + 1.5)
    await ratelimit.hit(db, key="k", limit=limit, window_seconds=window)
    with pytest.raises(RateLimited):
        await ratelimit.hit(db, key="k", limit=limit, window_seconds=window)
    await _until(start + window + 0.1)  # the first hit has left; the second has not
    await ratelimit.hit(db, key="k", limit=limit, window_seconds=window)
    with pytest.raises(RateLimited):
        await ratelimit.hit(db, key="k", limit=limit, window_seconds=window)


async def test_refused_hits_do_not_extend_the_wait_and_reset_forgets(db, clean_db):
    await ratelimit.hit(db, key="k", limit=1, window_seconds=60)
    for _ in range(3):
        with pytest.raises(RateLimited) as refused:
            await ratelimit.hit(db, key="k", limit=1, window_seconds=60)
        assert 58 <= refused.value.retry_after <= 60
    await ratelimit.reset(db, key="k")
    await ratelimit.hit(db, key="k", limit=1, window_seconds=60)
    await ratelimit.hit(db, key="other", limit=1, window_seconds=60)


async def test_parallel_hits_never_pass_the_limit(db, clean_db):
    async def one() -> bool:
        try:
            await ratelimit.hit(db, key="race", limit=5, window_seconds=60)
            return True
        except RateLimited:
            return False

    passed = await asyncio.gather(*(one() for _ in range(12)))
    assert sum(passed) == 5


async def test_expire_drops_keys_without_recent_hits(db, clean_db):
    await ratelimit.hit(db, key="old", limit=5, window_seconds=60)
    await asyncio.sleep(1.3)
    await ratelimit.hit(db, key="new", limit=5, window_seconds=60)
    assert await ratelimit.expire(db, older_than_seconds=1) == 1
    with pytest.raises(RateLimited):  # "new" kept its hit
        for _ in range(5):
            await ratelimit.hit(db, key="new", limit=5, window_seconds=60)
