"""Load test of anonymous GraphQL reads: the course platform's four reference queries.

Seeds 50 published courses, each with 5 root modules of 3 children (1,000
modules) and 5 content items per module (5,000 items), into a fresh embedded
PostgreSQL, starts ``learngraph serve --workers 1`` on it in production mode,
then sends each query for a fixed time at a fixed concurrency over loopback,
in interleaved rounds (A B C T, A B C T, ...), so that what else runs on the
machine weighs on every query alike:

- ``A``: one course by id, its root modules (id, title, sequenceIndex), their
  content items and children, and the children's content items.
- ``B``: the first 20 courses and their root modules (id, title).
- ``C``: one course by id (id, title).
- ``T``: ``{ __typename }``.

Every response is checked against the first answer of its query (status 200,
same body). The load client is a small keep-alive HTTP/1.1 client on raw
asyncio streams, cheap enough to leave the server most of the CPU. It prints,
per query and round: requests per second, p50/p99 latency, and the CPU time
per request of the server process and of PostgreSQL's backends (from /proc),
with the load average.

Run by hand, never in CI::

    .venv/bin/python bench/graphql_reads.py
    .venv/bin/python bench/graphql_reads.py --seconds 5 --rounds 2 --concurrency 16
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.db import Database  # noqa: E402
from core.embedded_pg import EmbeddedPostgres  # noqa: E402
from core.migrate import upgrade  # noqa: E402
from models.course import ContentItem, ContentType, Course, Module  # noqa: E402

COURSES, ROOTS, CHILDREN, ITEMS = 50, 5, 3, 5

QUERIES = {
    "A": ("query A($id: ID!) { node(id: $id) { ... on Course { id title "
          "modules(first: 20) { edges { node { id title sequenceIndex "
          "content { id title } children { id title sequenceIndex content { id title } } "
          "} } } } } }", True),
    "B": ("{ courses(first: 20) { edges { node { id title "
          "modules(first: 20) { edges { node { id title } } } } } } }", False),
    "C": ("query C($id: ID!) { node(id: $id) { ... on Course { id title } } }", True),
    "T": ("{ __typename }", False),
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def seed(url: str) -> list[int]:
    """Insert the courses, their trees and items; return the course ids."""
    db = Database(url)
    try:
        async with db.transaction() as session:
            kind = ContentType(name="video", label="Video")
            session.add(kind)
            await session.flush()
            course_ids = list((await session.execute(
                insert(Course).returning(Course.id, sort_by_parameter_order=True),
                [{"title": f"Course {i}", "code": f"C{i}", "is_published": True}
                 for i in range(COURSES)])).scalars())
            for course_id in course_ids:
                roots = list((await session.execute(
                    insert(Module).returning(Module.id, sort_by_parameter_order=True),
                    [{"course_id": course_id, "title": f"R{i}", "sequence_index": i}
                     for i in range(ROOTS)])).scalars())
                children = list((await session.execute(
                    insert(Module).returning(Module.id, sort_by_parameter_order=True),
                    [{"course_id": course_id, "parent_module_id": root, "title": f"M{n}",
                      "sequence_index": n} for root in roots for n in range(CHILDREN)]
                )).scalars())
                await session.execute(insert(ContentItem), [
                    {"module_id": m, "course_id": course_id, "content_type_id": kind.id,
                     "title": f"I{m}-{n}", "sequence_index": n}
                    for m in roots + children for n in range(ITEMS)])
        return course_ids
    finally:
        await db.dispose()


def _request(port: int, query: str, variables: dict | None,
             headers: dict[str, str] | None = None) -> bytes:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    return (f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
            ).encode() + body


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    request: bytes) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


def _cpu_ticks(pids: list[int]) -> dict[int, int]:
    """User plus system CPU ticks of each process of ``pids`` still running."""
    ticks = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks[pid] = int(fields[11]) + int(fields[12])  # utime, stime
    return ticks


def _spent(before: dict[int, int], after: dict[int, int]) -> int:
    """Ticks spent between two readings by the processes alive at the second (a backend
    that exited in between is not counted: the figure is a lower bound)."""
    return sum(ticks - before.get(pid, 0) for pid, ticks in after.items())


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


def _postmaster(data_dir: Path) -> int:
    return int((data_dir / "postmaster.pid").read_text().splitlines()[0])


# The query budget's report changes with every answer (the points used so far).
_RATE_LIMIT = re.compile(rb',"rateLimit":\{[^{}]*\}')


def _unbudgeted(body: bytes) -> bytes:
    return _RATE_LIMIT.sub(b"", body)


async def load(port: int, requests: list[bytes], expected: dict[bytes, bytes], *,
               seconds: float, concurrency: int) -> tuple[int, list[float]]:
    """Send ``requests`` (picked at random) for ``seconds`` over ``concurrency`` keep-alive
    connections; return the count and the latencies."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline:
                request = random.choice(requests)
                started = time.perf_counter()
                status, body = await _exchange(reader, writer, request)
                latencies.append(time.perf_counter() - started)
                if status != 200 or _unbudgeted(body) != _unbudgeted(expected[request]):
                    raise RuntimeError(f"unexpected answer: {status} {body[:300]!r}")
        finally:
            writer.close()

    await asyncio.gather(*[connection() for _ in range(concurrency)])
    return len(latencies), latencies


async def expected_answers(port: int, requests: list[bytes]) -> dict[bytes, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answers = {}
    try:
        for request in requests:
            status, body = await _exchange(reader, writer, request)
            data = json.loads(body)
            if status != 200 or data.get("errors") or not data.get("data"):
                raise RuntimeError(f"bad answer: {status} {body[:300]!r}")
            answers[request] = body
    finally:
        writer.close()
    return answers


def _start(url: str, secret: str, data_dir: Path, port: int, source: Path | None,
           label: str) -> subprocess.Popen[bytes]:
    """``learngraph serve`` with one worker in production mode; from ``source`` (a checkout
    of another version) when given."""
    # Every request is charged to the one address's query budget, which must last.
    env = {**os.environ, "DATABASE_URL": url, "LEARNGRAPH_SECRET_KEY": secret,
           "LEARNGRAPH_DATA_DIR": str(data_dir), "LEARNGRAPH_ENV": "production",
           "LEARNGRAPH_JOBS": "off", "LEARNGRAPH_GRAPHQL_BUDGET": "1000000000"}
    if source is not None:
        env["PYTHONPATH"] = str(source)
    command = [sys.executable, "-c", "from core.cli import main; main()", "serve",
               "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--no-migrate"]
    log = (data_dir / f"server{label}.log").open("wb")
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                            cwd=source or ROOT, start_new_session=True)


def _wait_healthy(server: subprocess.Popen[bytes], port: int, data_dir: Path) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            sys.exit(f"bench: server did not become healthy; see the logs in {data_dir}")
        time.sleep(0.25)


def _check_same(expected: dict[bytes, bytes], requests: dict[tuple[str, str], list[bytes]],
                ports: dict) -> None:
    """Both servers (with ``--baseline``) must answer every request alike."""
    if len(ports) < 2:
        return
    for name in {name for name, _ in requests}:
        base, new = requests[(name, "base")], requests[(name, "new")]
        for a, b in zip(base, new, strict=True):
            if json.loads(_unbudgeted(expected[a])) != json.loads(_unbudgeted(expected[b])):
                sys.exit(f"bench: the servers answer query {name} differently")


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per query and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--queries", default="ABCT")
    parser.add_argument("--baseline", type=Path,
                        help="a checkout of another version (e.g. `git archive main`) to serve "
                             "beside this one, interleaved query by query")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="learngraph-bench-reads-")).resolve()
    secret = secrets.token_urlsafe(48)
    postgres = EmbeddedPostgres(data_dir / "pg")
    started: list[subprocess.Popen[bytes]] = []
    try:
        postgres.start()
        url = postgres.ensure_database("bench")
        upgrade(url)
        course_ids = asyncio.run(seed(url))
        servers = {"": None}
        if args.baseline:
            servers = {"base": args.baseline.resolve(), "new": None}
        ports = {}
        for label, source in servers.items():
            port = _free_port()
            server = _start(url, secret, data_dir, port, source, label)
            started.append(server)
            _wait_healthy(server, port, data_dir)
            ports[label] = (port, server)

        from strawberry import relay

        requests: dict[tuple[str, str], list[bytes]] = {}
        expected = {}
        for label, (port, _) in ports.items():
            for name in args.queries:
                query, by_id = QUERIES[name]
                batch = ([_request(port, query, {"id": relay.to_base64("Course", c)})
                          for c in course_ids] if by_id else [_request(port, query, None)])
                requests[(name, label)] = batch
                expected.update(asyncio.run(expected_answers(port, batch)))
        _check_same(expected, requests, ports)
        postmaster = _postmaster(data_dir / "pg")
        print(f"cpus {os.cpu_count()}  one worker per server  concurrency {args.concurrency}  "
              f"{args.seconds:g} s per query, server and round")
        print(f"{'query':10} {'round':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
              f"{'server CPU ms/req':>18} {'pg CPU ms/req':>14} {'load':>5}")
        tick = os.sysconf("SC_CLK_TCK")
        for round_ in range(1, args.rounds + 1):
            for name in args.queries:
                for label, (port, server) in ports.items():
                    batch = requests[(name, label)]
                    server_before = _cpu_ticks([server.pid])
                    pg_before = _cpu_ticks(_children(postmaster))
                    begun = time.perf_counter()
                    count, latencies = asyncio.run(load(port, batch, expected,
                                                        seconds=args.seconds,
                                                        concurrency=args.concurrency))
                    elapsed = time.perf_counter() - begun
                    server_ms = (_spent(server_before, _cpu_ticks([server.pid])) / tick * 1000
                                 / count)
                    pg_ms = (_spent(pg_before, _cpu_ticks(_children(postmaster))) / tick * 1000
                             / count)
                    latencies.sort()
                    p50 = latencies[len(latencies) // 2] * 1000
                    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
                    print(f"{(name + ' ' + label).strip():10} {round_:>5} {count / elapsed:9.1f} "
                          f"{p50:8.1f} {p99:8.1f} {server_ms:18.2f} {pg_ms:14.2f} "
                          f"{os.getloadavg()[0]:5.1f}", flush=True)
    finally:
        for server in started:
            _stop(server)
        postgres.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
