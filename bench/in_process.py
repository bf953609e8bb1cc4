"""CPU per request of the ASGI app alone, without a server or sockets: reads T and C.

Starts a scratch embedded PostgreSQL, seeds ``graphql_reads.py``'s data, builds the
main app in production mode (its access log written as in production, to a file),
and calls it directly with the request the load benchmarks send (``POST /graphql``,
``Content-Type`` and ``Content-Length`` only), ``--calls`` times per read and round.
It prints the CPU (user + system) microseconds per call of this process, which holds
what every layer of the app costs (the statement's round trip too, for C) and none of
uvicorn's parsing and socket writes. With ``--profile`` it prints cProfile's top
functions of one more run of each read.

Run by hand, never in CI::

    .venv/bin/python bench/in_process.py
    .venv/bin/python bench/in_process.py --calls 20000 --rounds 3 --profile
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import os
import pstats
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

import graphql_reads as reads

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.embedded_pg import EmbeddedPostgres  # noqa: E402
from core.migrate import upgrade  # noqa: E402


def request_for(name: str, course_id: int) -> tuple[dict, bytes]:
    from strawberry import relay

    query, by_id = reads.QUERIES[name]
    return asgi_request(query, {"id": relay.to_base64("Course", course_id)} if by_id else {})


def asgi_request(query: str, variables: dict, headers: tuple[tuple[bytes, bytes], ...] = ()
                 ) -> tuple[dict, bytes]:
    """The ASGI scope and body of a ``POST /graphql`` of ``query``, as a server hands it
    to the app (``Content-Type`` and ``Content-Length``, then ``headers``)."""
    body = json.dumps({"query": query, "variables": variables}).encode()
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
             "http_version": "1.1", "server": ("127.0.0.1", 8000),
             "client": ("127.0.0.1", 50000), "scheme": "http", "method": "POST",
             "root_path": "", "path": "/graphql", "raw_path": b"/graphql",
             "query_string": b"", "headers": [
                 (b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json"),
                 (b"content-length", str(len(body)).encode()), *headers]}
    return scope, body


async def call(app, scope: dict, body: bytes) -> tuple[int, bytes]:
    """One request through ``app``: its status and body."""
    status, chunks, asked = 0, [], False

    async def receive():
        nonlocal asked
        if asked:
            await asyncio.Event().wait()
        asked = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        else:
            chunks.append(message.get("body", b""))

    await app(dict(scope), receive, send)
    return status, b"".join(chunks)


async def run(url: str, data_dir: Path, calls: int, rounds: int, queries: str,
              profile: bool, sort: str = "tottime", top: int = 25) -> None:
    from core import logs
    from core.app import create_app
    from core.config import load_settings
    from core.services import Services

    course_ids = await reads.seed(url)
    os.environ.update({"LEARNGRAPH_DATA_DIR": str(data_dir),
                       "LEARNGRAPH_SECRET_KEY": secrets.token_urlsafe(48),
                       "LEARNGRAPH_ENV": "production", "LEARNGRAPH_JOBS": "off",
                       "LEARNGRAPH_GRAPHQL_BUDGET": "1000000000"})
    # The access log goes where production's goes (a stream), here a file.
    log_file = (data_dir / "access.log").open("w")
    stderr, sys.stderr = sys.stderr, log_file
    try:
        logs.configure("json")
    finally:
        sys.stderr = stderr
    settings = load_settings()
    services = Services.build(settings, database_url=url)
    await services.start()
    try:
        app = create_app(services=services)
        app.state.services = services  # what its lifespan does
        requests = {name: request_for(name, course_ids[7]) for name in queries}
        for name, (scope, body) in requests.items():
            for _ in range(3):  # the plan is learned, then cached
                status, answer = await call(app, scope, body)
            if status != 200 or b'"errors"' in answer:
                sys.exit(f"bench: {name} answered {status} {answer[:300]!r}")
        # As ``learngraph serve`` does once started (core.cli): what lives as long as the
        # process is moved out of the collector's way.
        gc.collect()
        gc.freeze()
        if os.environ.get("X_GC"):
            gc.set_threshold(*map(int, os.environ["X_GC"].split(",")))
        print(f"load {os.getloadavg()[0]:.2f}; CPU microseconds per call")
        best: dict[str, float] = {}
        for round_ in range(1, rounds + 1):
            for name, (scope, body) in requests.items():
                started = time.process_time()
                for _ in range(calls):
                    await call(app, scope, body)
                spent = (time.process_time() - started) / calls * 1e6
                best[name] = min(best.get(name, spent), spent)
                print(f"round {round_} {name}: {spent:7.1f} us")
        # Other processes on the machine only ever add to a round's figure.
        print("best: " + ", ".join(f"{name} {us:.1f} us" for name, us in best.items())
              + f" (load {os.getloadavg()[0]:.2f})")
        if profile:
            for name, (scope, body) in requests.items():
                profiler = cProfile.Profile(time.process_time)
                profiler.enable()
                for _ in range(calls):
                    await call(app, scope, body)
                profiler.disable()
                print(f"--- {name}")
                pstats.Stats(profiler).sort_stats(sort).print_stats(top)
    finally:
        await services.stop()
        logs.configure("json")  # back to stderr
        log_file.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000, help="per read and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--queries", default="TC")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="tottime", help="the profile's order (pstats)")
    parser.add_argument("--top", type=int, default=25, help="functions the profile lists")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="learngraph-bench-inproc-")).resolve()
    postgres = EmbeddedPostgres(data_dir / "pg")
    try:
        postgres.start()
        url = postgres.ensure_database("bench")
        upgrade(url)
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(run(url, data_dir, args.calls, args.rounds, args.queries,
                           args.profile, args.sort, args.top))
    finally:
        postgres.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
