"""Load test of reading telemetry: sustained ``POST /api/events`` throughput.

Sends ``--events`` telemetry events (``page_turned``, ``word_tapped`` and
``book_opened`` mixed) at ``--concurrency`` requests in flight over several
HTTP clients, with the reading platform's ``X-Internal-Key``, and reports events
per second and latency percentiles. Every response must be ``{"ok": true}``.

Then it checks that every event was stored: the events belong to ``--sessions``
reading sessions, and ending each session (``POST /api/session/end``) answers how
many events the database holds for it; the sum must equal the number sent.

By default it starts ``learngraph serve --workers 2`` on a free loopback port with
a fresh data directory (its own embedded PostgreSQL) and stops it at the end, as
``auth_load.py`` does. Run by hand, never in CI::

    .venv/bin/python bench/telemetry.py --events 20000 --concurrency 64
    .venv/bin/python bench/telemetry.py --url http://127.0.0.1:8000 --key "$KEY"

Exits non-zero when a request failed, an event was not stored, or the shutdown
was not clean.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import secrets
import signal
import sys
import time
import uuid

import httpx
from auth_load import ManagedServer, _learngraph_command, print_context, print_shutdown

CLIENTS = 8
WARMUP_EVENTS = 200


def _events(count: int, sessions: list[tuple[str, str]]) -> list[dict]:
    events = []
    for n in range(count):
        learner, session = sessions[n % len(sessions)]
        kind = ("page_turned", "page_turned", "word_tapped", "book_opened")[n % 4]
        event = {"event_id": str(uuid.uuid4()), "learner_id": learner, "session_id": session,
                 "event_type": kind, "book_id": "14760-1", "client_ts": 1713470400000 + n}
        if kind == "page_turned":
            event.update(page_number=1 + n % 6, time_on_page_ms=5000 + n % 7000)
        elif kind == "word_tapped":
            event["word"] = ("tortoise", "hare", "steadily", "mocking")[n % 4]
        events.append(event)
    return events


async def _send_all(url: str, key: str, events: list[dict],
                    concurrency: int) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[dict] = asyncio.Queue()
    for event in events:
        queue.put_nowait(event)
    limits = httpx.Limits(max_connections=max(1, concurrency // CLIENTS) + 1)
    clients = [httpx.AsyncClient(base_url=url, headers={"X-Internal-Key": key}, timeout=30,
                                 limits=limits) for _ in range(CLIENTS)]

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while not queue.empty():
            event = queue.get_nowait()
            started = time.perf_counter()
            try:
                response = await client.post("/api/events", json=event)
                ok = response.status_code == 200 and response.json() == {"ok": True}
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - started)
            errors += not ok

    started = time.perf_counter()
    await asyncio.gather(*(worker(clients[i % CLIENTS]) for i in range(concurrency)))
    elapsed = time.perf_counter() - started
    for client in clients:
        await client.aclose()
    return elapsed, latencies, errors


async def _stored(url: str, key: str, sessions: list[tuple[str, str]]) -> int:
    async with httpx.AsyncClient(base_url=url, headers={"X-Internal-Key": key},
                                 timeout=60) as client:
        total = 0
        for learner, session in sessions:
            response = await client.post("/api/session/end", json={
                "learner_id": learner, "session_id": session})
            total += response.json()["events_received"]
        return total


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


async def bench(url: str, key: str, *, events: int, concurrency: int, sessions: int) -> bool:
    warm = [(str(uuid.uuid4()), str(uuid.uuid4()))]
    await _send_all(url, key, _events(WARMUP_EVENTS, warm), concurrency)
    pairs = [(str(uuid.uuid4()), str(uuid.uuid4())) for _ in range(sessions)]
    elapsed, latencies, errors = await _send_all(url, key, _events(events, pairs), concurrency)
    stored = await _stored(url, key, pairs)
    ms = [1000 * x for x in latencies]
    print(f"events sent   {events} at concurrency {concurrency} over {CLIENTS} clients")
    print(f"throughput    {events / elapsed:,.0f} events/s ({elapsed:.2f} s)")
    print(f"latency ms    p50 {_percentile(ms, .5):.1f}  p90 {_percentile(ms, .9):.1f}  "
          f"p99 {_percentile(ms, .99):.1f}  max {max(ms):.1f}")
    print(f"errors        {errors}")
    print(f"stored        {stored} of {events} (by ending the {sessions} sessions)")
    return errors == 0 and stored == events


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--url", help="an already running server (loopback)")
    parser.add_argument("--key", help="its LEARNGRAPH_INTERNAL_KEY (with --url)")
    args = parser.parse_args(argv)
    if not (1 <= args.events <= 1_000_000 and 1 <= args.concurrency <= 1024
            and 1 <= args.sessions <= 10_000):
        parser.error("events 1..1e6, concurrency 1..1024, sessions 1..10000")
    if args.url and not args.key:
        parser.error("--url needs --key")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = {"events": args.events, "concurrency": args.concurrency, "sessions": args.sessions}
    if args.url:
        print_context(args.url, None)
        return 0 if asyncio.run(bench(args.url, args.key, **sizes)) else 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    key = secrets.token_urlsafe(24)
    os.environ["LEARNGRAPH_INTERNAL_KEY"] = key
    os.environ["LEARNGRAPH_JOBS"] = os.environ.get("LEARNGRAPH_JOBS", "on")
    server = ManagedServer(_learngraph_command(), args.workers)
    server.start()
    ok = False
    try:
        startup = server.wait_healthy()
        print_context(server.url, args.workers)
        print(f"start-up: healthy after {startup:.1f} s")
        ok = asyncio.run(bench(server.url, key, **sizes))
    finally:
        report = server.stop()
        tail = server.log_tail()
        server.remove_data_dir()
        print()
        print_shutdown(report)
        if not (ok and report.clean):
            print("last lines of the server log:")
            print(tail)
    return 0 if ok and report.clean else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        sys.exit(130)
