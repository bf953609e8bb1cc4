"""learngraph against PostGraphile v4: the four reference reads, side by side in one run.

Starts a scratch embedded PostgreSQL, seeds it with ``graphql_reads.py``'s data
(50 published courses, 5 root modules of 3 children each: 1,000 modules, 5
items per module: 5,000 items), installs PostGraphile v4 from the npm registry
into a cache folder (once; ``--cache``), and serves the same database with:

- learngraph: ``learngraph serve --workers 1`` in production mode;
- PostGraphile v4: ``postgraphile -s public --dynamic-json`` with
  ``NODE_ENV=production`` and its query log off.

Each server is asked the same four reads in its own schema's words:

- ``A``: one course by id, its first 20 root modules (id, title, sequenceIndex),
  their content items and children, and the children's content items;
- ``B``: the first 20 courses and their first 20 root modules (id, title);
- ``C``: one course by id (id, title);
- ``T``: ``{ __typename }``.

Before measuring, every answer of one server is compared with the other's
(ids as integers, connections as lists): both must return the same data. Then
each query is sent for a fixed time at a fixed concurrency, in interleaved
rounds (query by query, server by server), so that anything else running on
the machine weighs on both alike; every answer is checked against the first
one. It prints, per query, round and server: req/s, p50/p99 latency, CPU
milliseconds per request of the server process and of PostgreSQL's backends,
and the load average; then the ratios per query (learngraph's req/s over
PostGraphile's, and PostGraphile's server CPU per request over learngraph's:
above 1.0 learngraph is ahead), over the rounds' totals.

Needs ``node`` and ``npm`` on the PATH. Run by hand, never in CI::

    .venv/bin/python bench/vs_postgraphile.py
    .venv/bin/python bench/vs_postgraphile.py --seconds 5 --rounds 2 --concurrency 16
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import graphql_reads as reads
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.embedded_pg import EmbeddedPostgres  # noqa: E402
from core.migrate import upgrade  # noqa: E402

POSTGRAPHILE = "postgraphile@4.14.1"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "learngraph-bench"

TREE_ORDER = "orderBy: [SEQUENCE_INDEX_ASC, ID_ASC]"
ITEMS = f"contentItemsByModuleIdAndCourseId({TREE_ORDER}) {{ nodes {{ id title }} }}"
# The same reads in PostGraphile's schema, aliased to learngraph's field names.
PG_QUERIES = {
    "A": ("query A($id: BigInt!) { node: courseById(id: $id) { id title "
          "modules: modulesByCourseId(first: 20, condition: {parentModuleId: null}, "
          f"{TREE_ORDER}) {{ edges {{ node {{ id title sequenceIndex content: {ITEMS} "
          f"children: modulesByParentModuleIdAndCourseId({TREE_ORDER}) {{ nodes {{ "
          f"id title sequenceIndex content: {ITEMS} }} }} }} }} }} }} }}"),
    "B": ("{ courses: allCourses(first: 20, orderBy: ID_ASC) { edges { node { id title "
          "modules: modulesByCourseId(first: 20, condition: {parentModuleId: null}, "
          f"{TREE_ORDER}) {{ edges {{ node {{ id title }} }} }} }} }} }} }}"),
    "C": "query C($id: BigInt!) { node: courseById(id: $id) { id title } }",
    "T": "{ __typename }",
}
SERVERS = ("postgraphile", "learngraph")


def install_postgraphile(cache: Path) -> Path:
    """The ``postgraphile`` command of ``POSTGRAPHILE``, installed into ``cache`` once."""
    folder = cache / POSTGRAPHILE.replace("@", "-")
    command = folder / "node_modules" / ".bin" / "postgraphile"
    if not command.exists():
        if shutil.which("npm") is None:
            sys.exit("bench: npm (and node) are needed to install PostGraphile")
        folder.mkdir(parents=True, exist_ok=True)
        print(f"installing {POSTGRAPHILE} into {folder}", flush=True)
        subprocess.run(["npm", "install", "--prefix", str(folder), "--no-audit", "--no-fund",
                        "--loglevel", "error", POSTGRAPHILE], check=True)
    return command


def start_postgraphile(command: Path, url: str, port: int, data_dir: Path
                       ) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NODE_ENV": "production"}
    log = (data_dir / "postgraphile.log").open("wb")
    # The bin script is a node script: the process started is node itself, so its CPU
    # is the server's.
    return subprocess.Popen(
        [str(command), "--connection", url, "--schema", "public", "--dynamic-json",
         "--disable-query-log", "--disable-graphiql", "--host", "127.0.0.1",
         "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_postgraphile(server: subprocess.Popen[bytes], port: int, data_dir: Path) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            response = httpx.post(f"http://127.0.0.1:{port}/graphql",
                                  json={"query": "{ __typename }"}, timeout=2)
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            sys.exit(f"bench: PostGraphile did not start; see {data_dir}/postgraphile.log")
        time.sleep(0.25)


def canonical(value):
    """An answer in a form both schemas share: connections as lists of their nodes, ids
    as integers (learngraph's global ids decoded, PostGraphile's BigInt strings read)."""
    if isinstance(value, list):
        return [canonical(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "edges" in value:
        return [canonical(edge["node"]) for edge in value["edges"]]
    if "nodes" in value:
        return [canonical(node) for node in value["nodes"]]
    out = {}
    for key, item in value.items():
        if key == "id" and isinstance(item, str):
            if item.isdigit():
                item = int(item)
            else:
                item = int(base64.b64decode(item).decode().partition(":")[2])
        out[key] = canonical(item)
    return out


def requests_for(server: str, port: int, course_ids: list[int], queries: str
                 ) -> dict[str, list[bytes]]:
    from strawberry import relay

    batches = {}
    for name in queries:
        if server == "learngraph":
            query, by_id = reads.QUERIES[name]
            ids = [relay.to_base64("Course", c) for c in course_ids]
        else:
            query, by_id = PG_QUERIES[name], name in "AC"
            ids = [str(c) for c in course_ids]
        batches[name] = ([reads._request(port, query, {"id": i}) for i in ids] if by_id
                         else [reads._request(port, query, None)])
    return batches


def check_same(requests: dict[str, dict[str, list[bytes]]], expected: dict[bytes, bytes]
               ) -> None:
    """Both servers answer every read with the same data, and A's and B's are not empty."""
    for name in requests["learngraph"]:
        pairs = zip(requests["learngraph"][name], requests["postgraphile"][name], strict=True)
        for ours, theirs in pairs:
            a = canonical(json.loads(expected[ours])["data"])
            b = canonical(json.loads(expected[theirs])["data"])
            if a != b:
                sys.exit(f"bench: the servers answer {name} differently:\n"
                         f"learngraph   {json.dumps(a)[:400]}\npostgraphile {json.dumps(b)[:400]}")
    sample = canonical(json.loads(expected[requests["learngraph"]["A"][0]])["data"]) \
        if "A" in requests["learngraph"] else None
    if sample is not None and not sample["node"]["modules"][0]["children"][0]["content"]:
        sys.exit("bench: query A found no tree")


def measure(port: int, pid: int, postmaster: int, batch: list[bytes],
            expected: dict[bytes, bytes], seconds: float, concurrency: int) -> dict:
    tick = os.sysconf("SC_CLK_TCK")
    server_before = reads._cpu_ticks([pid])
    pg_before = reads._cpu_ticks(reads._children(postmaster))
    begun = time.perf_counter()
    count, latencies = asyncio.run(reads.load(port, batch, expected, seconds=seconds,
                                              concurrency=concurrency))
    elapsed = time.perf_counter() - begun
    latencies.sort()
    return {
        "count": count, "elapsed": elapsed,
        "server_s": reads._spent(server_before, reads._cpu_ticks([pid])) / tick,
        "pg_s": reads._spent(pg_before, reads._cpu_ticks(reads._children(postmaster))) / tick,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "load": os.getloadavg()[0],
    }


def line(label: str, round_: object, m: dict) -> str:
    return (f"{label:16} {round_!s:>5} {m['count'] / m['elapsed']:9.1f} {m['p50']:8.1f} "
            f"{m['p99']:8.1f} {m['server_s'] * 1000 / m['count']:11.2f} "
            f"{m['pg_s'] * 1000 / m['count']:9.2f} {m['load']:5.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per query, server and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=1.0,
                        help="seconds of load per query and server before the rounds")
    parser.add_argument("--queries", default="ABCT")
    parser.add_argument("--cache", type=Path, default=CACHE,
                        help=f"where PostGraphile is installed (default {CACHE})")
    args = parser.parse_args()
    if not set(args.queries) <= set(PG_QUERIES):
        sys.exit(f"bench: --queries takes letters of {''.join(PG_QUERIES)}")

    postgraphile = install_postgraphile(args.cache)
    data_dir = Path(tempfile.mkdtemp(prefix="learngraph-bench-pg4-")).resolve()
    postgres = EmbeddedPostgres(data_dir / "pg")
    started: list[subprocess.Popen[bytes]] = []
    try:
        postgres.start()
        url = postgres.ensure_database("bench")
        upgrade(url)
        course_ids = asyncio.run(reads.seed(url))
        ports = {name: reads._free_port() for name in SERVERS}
        pg4 = start_postgraphile(postgraphile, url, ports["postgraphile"], data_dir)
        started.append(pg4)
        ours = reads._start(url, secrets.token_urlsafe(48), data_dir, ports["learngraph"],
                            None, "")
        started.append(ours)
        wait_postgraphile(pg4, ports["postgraphile"], data_dir)
        reads._wait_healthy(ours, ports["learngraph"], data_dir)
        pids = {"postgraphile": pg4.pid, "learngraph": ours.pid}

        requests = {server: requests_for(server, ports[server], course_ids, args.queries)
                    for server in SERVERS}
        expected: dict[bytes, bytes] = {}
        for server in SERVERS:
            for batch in requests[server].values():
                expected.update(asyncio.run(reads.expected_answers(ports[server], batch)))
        check_same(requests, expected)
        postmaster = reads._postmaster(data_dir / "pg")
        for name in args.queries:
            for server in SERVERS:
                if args.warmup > 0:
                    asyncio.run(reads.load(ports[server], requests[server][name], expected,
                                           seconds=args.warmup, concurrency=args.concurrency))

        print(f"cpus {os.cpu_count()}  {POSTGRAPHILE} (node {_node_version()}) and learngraph "
              f"(one worker)  concurrency {args.concurrency}  {args.seconds:g} s per query, "
              f"server and round  load average at start "
              + " ".join(f"{x:.1f}" for x in os.getloadavg()))
        print("both servers return the same data for " + ", ".join(args.queries))
        print(f"{'query server':16} {'round':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
              f"{'CPU ms/req':>11} {'pg ms/req':>9} {'load':>5}")
        results: dict[tuple[str, str], list[dict]] = {}
        for round_ in range(1, args.rounds + 1):
            for name in args.queries:
                for server in SERVERS:
                    m = measure(ports[server], pids[server], postmaster,
                                requests[server][name], expected, args.seconds,
                                args.concurrency)
                    results.setdefault((name, server), []).append(m)
                    print(line(f"{name} {server}", round_, m), flush=True)
        print()
        print(f"{'query':6} {'PG4 req/s':>10} {'ours req/s':>11} {'ratio':>6}   "
              f"{'PG4 CPU ms':>10} {'ours CPU ms':>11} {'ratio':>6}   "
              f"{'PG4 p50/p99':>13} {'ours p50/p99':>13}")
        for name in args.queries:
            total = {server: _total(results[(name, server)]) for server in SERVERS}
            theirs, mine = total["postgraphile"], total["learngraph"]
            print(f"{name:6} {theirs['rps']:10.1f} {mine['rps']:11.1f} "
                  f"{mine['rps'] / theirs['rps']:5.2f}x   {theirs['cpu']:10.2f} "
                  f"{mine['cpu']:11.2f} {theirs['cpu'] / max(mine['cpu'], 1e-9):5.2f}x   "
                  f"{theirs['p50']:6.1f}/{theirs['p99']:<6.1f} "
                  f"{mine['p50']:6.1f}/{mine['p99']:.1f}")
        print("load average at end " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    finally:
        for server in started:
            reads._stop(server)
        postgres.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def _total(runs: list[dict]) -> dict:
    count = sum(m["count"] for m in runs)
    return {"rps": count / sum(m["elapsed"] for m in runs),
            "cpu": sum(m["server_s"] for m in runs) * 1000 / count,
            "p50": sorted(m["p50"] for m in runs)[len(runs) // 2],
            "p99": max(m["p99"] for m in runs)}


def _node_version() -> str:
    try:
        return subprocess.run(["node", "--version"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


if __name__ == "__main__":
    main()
