"""Load test of reading telemetry: sustained ``POST /api/events`` throughput.

Sends ``--events`` telemetry events (``page_turned``, ``word_tapped`` and
``book_opened`` mixed) at ``--concurrency`` requests in flight over several
HTTP clients, with the reading platform's ``X-Internal-Key``, and reports events
per second and latency percentiles. Every response must be ``{"ok": true}``.

Then it checks that every event was stored: the events belong to ``--sessions``
reading sessions, and ending each session (``POST /api/session/end``) answers how
many events the database holds for it; the sum must equal the number sent.

The load comes from ``wrk`` when it is installed (``apt install wrk``): a load
generator in C, so the figure is the server's and not the cost of a Python client
on the same cores. It then runs for ``--seconds`` at ``--concurrency`` connections,
each request a new event (unique ids from the run, thread and a counter), and the
server's CPU time per request is read from ``/proc``. Without ``wrk`` (or with
``--load httpx``) it sends ``--events`` events through Python clients.

By default it starts ``learngraph serve --workers 2`` on a free loopback port with
a fresh data directory (its own embedded PostgreSQL) and stops it at the end, as
``auth_load.py`` does. Run by hand, never in CI::

    .venv/bin/python bench/telemetry.py --seconds 20 --concurrency 64
    .venv/bin/python bench/telemetry.py --load httpx --events 20000 --concurrency 64
    .venv/bin/python bench/telemetry.py --url http://127.0.0.1:8000 --key "$KEY"

Exits non-zero when a request failed, an event was not stored, or the shutdown
was not clean.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

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


# One new event per request; ids unique by run, thread and counter. ``done`` prints the
# figures as one JSON line for the bench to read.
WRK_SCRIPT = """
local sessions = {%(sessions)s}
local run = "%(run)s"
local threads = 0
local n = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
request = function()
  n = n + 1
  local pair = sessions[(n %% #sessions) + 1]
  local id = string.format("%%s-%%04x-4%%03x-8%%03x-%%012x", run, tid, n %% 4096,
                           math.floor(n / 4096) %% 4096, n)
  local body
  if n %% 4 == 2 then
    body = string.format('{"event_id":"%%s","learner_id":"%%s","session_id":"%%s",'
      .. '"event_type":"word_tapped","word":"tortoise","client_ts":%%d}',
      id, pair[1], pair[2], 1713470400000 + n)
  else
    body = string.format('{"event_id":"%%s","learner_id":"%%s","session_id":"%%s",'
      .. '"event_type":"page_turned","book_id":"14760-1","page_number":%%d,'
      .. '"time_on_page_ms":%%d,"client_ts":%%d}',
      id, pair[1], pair[2], 1 + n %% 6, 5000 + n %% 7000, 1713470400000 + n)
  end
  return wrk.format("POST", "/api/events", {["Content-Type"] = "application/json",
                    ["X-Internal-Key"] = "%(key)s"}, body)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK {"requests":%%d,"seconds":%%f,"connect":%%d,"read":%%d,'
    .. '"write":%%d,"status":%%d,"timeout":%%d,"p50":%%f,"p90":%%f,"p99":%%f,"max":%%f}\\n',
    summary.requests, summary.duration / 1e6, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
"""


def _cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of ``pids`` and their children, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in set(_with_children(pids)):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _children_cpu_seconds() -> float:
    """User and system CPU time of this process's waited-for children (wrk)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _with_children(pids: list[int]) -> list[int]:
    found = list(pids)
    for pid in pids:
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            continue
        found += _with_children([int(c) for c in children])
    return found


async def bench_wrk(url: str, key: str, *, seconds: int, concurrency: int, sessions: int,
                    server_pids: list[int]) -> bool:
    """Load from wrk for ``seconds``; the figures, and the check that every answered
    event was stored."""
    warm = [(str(uuid.uuid4()), str(uuid.uuid4()))]
    await _send_all(url, key, _events(WARMUP_EVENTS, warm), min(concurrency, 16))
    pairs = [(str(uuid.uuid4()), str(uuid.uuid4())) for _ in range(sessions)]
    script = WRK_SCRIPT % {"sessions": ",".join(f'{{"{a}","{b}"}}' for a, b in pairs),
                           "run": uuid.uuid4().hex[:8], "key": key}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    threads = min(2, concurrency)
    postgres = server_pids[1:]  # the embedded PostgreSQL, see _server_pids
    cpu_before = _cpu_seconds(server_pids)
    pg_before = _cpu_seconds(postgres)
    client_before = _children_cpu_seconds()
    try:
        process = await asyncio.create_subprocess_exec(
            "wrk", f"-t{threads}", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "30s",
            "-s", handle.name, url, stdout=subprocess.PIPE)
        output = (await process.communicate())[0].decode()
    finally:
        os.unlink(handle.name)
    cpu = _cpu_seconds(server_pids) - cpu_before
    pg_cpu = _cpu_seconds(postgres) - pg_before
    client_cpu = _children_cpu_seconds() - client_before
    figures = json.loads(next(line for line in output.splitlines()
                              if line.startswith("WRK "))[4:])
    answered = figures["requests"]
    errors = sum(figures[k] for k in ("connect", "read", "write", "status", "timeout"))
    stored = await _stored(url, key, pairs)
    print(f"load          wrk, {threads} threads, {concurrency} connections, {seconds} s")
    print(f"throughput    {answered / figures['seconds']:,.0f} events/s "
          f"({answered} answered in {figures['seconds']:.2f} s)")
    print(f"latency ms    p50 {figures['p50']:.1f}  p90 {figures['p90']:.1f}  "
          f"p99 {figures['p99']:.1f}  max {figures['max']:.1f}")
    per_event = 1000 / max(answered, 1)
    if server_pids:
        print(f"server CPU    {per_event * cpu:.3f} ms per event "
              f"(server processes and their PostgreSQL, {cpu:.1f} s in all; "
              f"PostgreSQL {per_event * pg_cpu:.3f})")
        # What the whole run costs per event, the load client included: on 2 cores every
        # event may take 2 / 5,000 s = 0.4 ms of CPU for 5,000 events/s.
        total = per_event * (cpu + client_cpu)
        print(f"all CPU       {total:.3f} ms per event with wrk's {per_event * client_cpu:.3f}: "
              f"{os.cpu_count() or 1} idle cores would sustain "
              f"{1000 * (os.cpu_count() or 1) / max(total, 1e-9):,.0f} events/s")
    # Other work on the machine takes cores and caches from the server: say how busy it was.
    print("load average  {:.2f} {:.2f} {:.2f} at the end".format(*os.getloadavg()))
    print(f"errors        {errors}")
    # A request still in flight when wrk stops may be stored without being counted.
    print(f"stored        {stored} of {answered} answered (+ at most {concurrency} in "
          f"flight at the end)")
    return errors == 0 and answered <= stored <= answered + concurrency


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--load", choices=("wrk", "httpx"),
                        default="wrk" if shutil.which("wrk") else "httpx")
    parser.add_argument("--seconds", type=int, default=20, help="with wrk")
    parser.add_argument("--events", type=int, default=20000, help="with httpx")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--url", help="an already running server (loopback)")
    parser.add_argument("--key", help="its LEARNGRAPH_INTERNAL_KEY (with --url)")
    args = parser.parse_args(argv)
    if not (1 <= args.events <= 1_000_000 and 1 <= args.concurrency <= 1024
            and 1 <= args.sessions <= 10_000 and 1 <= args.seconds <= 3600):
        parser.error("events 1..1e6, concurrency 1..1024, sessions 1..10000, "
                     "seconds 1..3600")
    if args.load == "wrk" and not shutil.which("wrk"):
        parser.error("--load wrk needs wrk on the PATH (apt install wrk)")
    if args.url and not args.key:
        parser.error("--url needs --key")
    return args


def _server_pids(server: ManagedServer) -> list[int]:
    """The server's process and the embedded PostgreSQL it started (by its data dir)."""
    pids = [server.process.pid] if server.process else []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if command and command[0].endswith(b"postgres") and \
                    str(server.data_dir).encode() in b" ".join(command):
                pids.append(int(entry.name))
    return pids


def _run(args: argparse.Namespace, url: str, key: str, server_pids: list[int]) -> bool:
    if args.load == "wrk":
        return asyncio.run(bench_wrk(url, key, seconds=args.seconds,
                                     concurrency=args.concurrency, sessions=args.sessions,
                                     server_pids=server_pids))
    return asyncio.run(bench(url, key, events=args.events, concurrency=args.concurrency,
                             sessions=args.sessions))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.url:
        print_context(args.url, None)
        return 0 if _run(args, args.url, args.key, []) else 1
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
        ok = _run(args, server.url, key, _server_pids(server))
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
