"""Load test of authenticated requests: how fast learngraph answers a signed-in user.

Two scenarios, each a fixed number of requests sent at a fixed concurrency:

- ``graphql-bearer``: ``POST /graphql`` with ``{ viewer { id } }`` and an
  ``Authorization: Bearer <access token>`` header (JWT check, session and user lookup).
- ``rest-cookie-me``: ``GET /api/auth/me`` with the ``access_token`` cookie
  (the same checks, plus a lookup of the user's stored API key).

Every response is checked (status 200 and the benchmark user's id or email in
the body); anything else counts as an error. Each scenario is warmed up first.
The table reports requests per second and latency percentiles.

By default the script starts its own server, ``learngraph serve --workers 2``
on a free loopback port with a fresh data directory (so a fresh embedded
PostgreSQL), and at the end stops it with SIGINT, reports how the shutdown
went, checks that no PostgreSQL process of that data directory is left, and
removes the directory.

Run by hand, never in CI::

    make bench
    .venv/bin/python bench/auth_load.py --requests 5000 --concurrency 32
    .venv/bin/python bench/auth_load.py --url http://127.0.0.1:8000   # a running server

The process exits non-zero when any request failed or the shutdown was not clean.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import math
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import httpx

WARMUP_REQUESTS = 50
STARTUP_TIMEOUT_SECONDS = 120.0
SHUTDOWN_TIMEOUT_SECONDS = 60.0
REQUEST_TIMEOUT_SECONDS = 30.0
LOG_TAIL_LINES = 40

LOGIN_MUTATION = """
mutation Login($input: LoginInput!) {
  login(input: $input) { accessToken user { id email } }
}
"""
VIEWER_QUERY = "{ viewer { id } }"


class BadResponse(Exception):
    """A response that is not the one the scenario expects."""


# --- the server under test ---------------------------------------------------------------


@dataclass(frozen=True)
class ShutdownReport:
    signalled: bool  # False: it had exited by itself before
    exit_code: int | None  # None: it had to be killed
    seconds: float
    stray_postgres: list[str]

    @property
    def clean(self) -> bool:
        return self.exit_code == 0 and not self.stray_postgres


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _learngraph_command() -> Path:
    """The ``learngraph`` script installed next to the running interpreter."""
    command = Path(sys.executable).with_name("learngraph")
    if not command.exists():
        sys.exit(f"bench: {command} not found; run `make bench` (it installs the project)")
    return command


def _postgres_processes(data_dir: Path) -> list[str]:
    """``pid command`` of every postgres process whose command line names ``data_dir``."""
    listing = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True,
                             check=True).stdout
    return [line.strip() for line in listing.splitlines()
            if "postgres" in line and str(data_dir) in line]


class ManagedServer:
    """``learngraph serve`` in a subprocess with its own data directory."""

    def __init__(self, command: Path, workers: int, extra_args: tuple[str, ...] = ()) -> None:
        self.command = command
        self.workers = workers
        self.extra_args = extra_args
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = Path(tempfile.mkdtemp(prefix="learngraph-bench-")).resolve()
        self.log_path = self.data_dir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        # One account sends every GraphQL request: its query budget must last.
        env = {**os.environ, "LEARNGRAPH_DATA_DIR": str(self.data_dir),
               "LEARNGRAPH_SECRET_KEY": secrets.token_urlsafe(48),
               "LEARNGRAPH_GRAPHQL_BUDGET": "1000000000"}
        env.pop("DATABASE_URL", None)  # always the embedded database in data_dir
        command = [str(self.command), "serve", "--host", "127.0.0.1",
                   "--port", str(self.port), "--workers", str(self.workers), *self.extra_args]
        with self.log_path.open("wb") as log:
            # A session of its own: Ctrl-C on the bench reaches only the bench, which
            # then stops the server the same way as at the end of a normal run.
            self.process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def wait_healthy(self, timeout: float = STARTUP_TIMEOUT_SECONDS) -> float:
        """Seconds until ``GET /api/health`` answered 200; exit when it never does."""
        assert self.process is not None
        started = time.monotonic()
        with httpx.Client(base_url=self.url, timeout=5.0) as client:
            while time.monotonic() - started < timeout:
                if self.process.poll() is not None:
                    self.fail(f"server exited with code {self.process.returncode} at start-up")
                try:
                    if client.get("/api/health").status_code == 200:
                        return time.monotonic() - started
                except httpx.TransportError:
                    pass
                time.sleep(0.25)
        self.fail(f"server not healthy after {timeout:.0f} s")

    def stop(self) -> ShutdownReport:
        """SIGINT, wait for the exit, then look for postgres processes left behind."""
        assert self.process is not None
        started = time.monotonic()
        exit_code: int | None
        signalled = self.process.poll() is None
        if signalled:
            self.process.send_signal(signal.SIGINT)
        try:
            exit_code = self.process.wait(timeout=SHUTDOWN_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            exit_code = None
        seconds = time.monotonic() - started
        return ShutdownReport(signalled, exit_code, seconds, _postgres_processes(self.data_dir))

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def fail(self, reason: str) -> NoReturn:
        """Exit; the caller stops the server, shows its log and cleans up."""
        print(f"bench: {reason}", file=sys.stderr)
        raise SystemExit(1)

    def remove_data_dir(self) -> None:
        shutil.rmtree(self.data_dir, ignore_errors=True)


# --- the benchmark user --------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    email: str
    global_id: str  # GraphQL id of the user
    user_id: str  # the same user as the REST face spells it
    access_token: str  # Bearer JWT from the GraphQL login
    session_cookie: str  # access_token cookie from the REST registration


def _json(response: httpx.Response, what: str) -> Any:
    if response.status_code != 200:
        raise SystemExit(f"bench: {what} answered {response.status_code}: {response.text[:300]}")
    return response.json()


async def create_account(client: httpx.AsyncClient) -> Account:
    """Register once over REST (cookie), log in once over GraphQL (Bearer token).

    Both endpoints are rate limited per address, so nothing else signs in."""
    email = f"bench-{uuid.uuid4().hex[:12]}@example.com"
    password = secrets.token_urlsafe(18)
    credentials = {"email": email, "password": password}

    registered = await client.post("/api/auth/register", json=credentials)
    _json(registered, "POST /api/auth/register")
    cookie = registered.cookies.get("access_token")
    if not cookie:
        raise SystemExit("bench: registration set no access_token cookie")

    logged_in = _json(await client.post("/graphql", json={
        "query": LOGIN_MUTATION, "variables": {"input": credentials}}), "GraphQL login")
    if logged_in.get("errors"):
        raise SystemExit(f"bench: GraphQL login failed: {logged_in['errors']}")
    payload = logged_in["data"]["login"]

    me = _json(await client.get("/api/auth/me", headers={"Cookie": f"access_token={cookie}"}),
               "GET /api/auth/me")
    if me.get("email") != email:
        raise SystemExit(f"bench: /api/auth/me answered for someone else: {me}")
    return Account(email=email, global_id=payload["user"]["id"], user_id=me["userId"],
                   access_token=payload["accessToken"], session_cookie=cookie)


# --- scenarios -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    method: str
    path: str
    check: Callable[[httpx.Response], None]  # raises BadResponse
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None


def _expect_200(response: httpx.Response) -> Any:
    if response.status_code != 200:
        raise BadResponse(f"status {response.status_code}: {response.text[:200]}")
    try:
        return response.json()
    except ValueError as exc:
        raise BadResponse(f"not JSON: {response.text[:200]}") from exc


def graphql_bearer(account: Account) -> Scenario:
    def check(response: httpx.Response) -> None:
        body = _expect_200(response)
        if body.get("errors"):
            raise BadResponse(f"GraphQL errors: {body['errors']}")
        viewer_id = ((body.get("data") or {}).get("viewer") or {}).get("id")
        if viewer_id != account.global_id:
            raise BadResponse(f"viewer.id {viewer_id!r}, expected {account.global_id!r}")

    return Scenario("graphql-bearer", "POST", "/graphql", check,
                    headers={"Authorization": f"Bearer {account.access_token}"},
                    body={"query": VIEWER_QUERY})


def rest_cookie_me(account: Account) -> Scenario:
    def check(response: httpx.Response) -> None:
        body = _expect_200(response)
        if body.get("userId") != account.user_id or body.get("email") != account.email:
            raise BadResponse(f"unexpected user: {body}")

    return Scenario("rest-cookie-me", "GET", "/api/auth/me", check,
                    headers={"Cookie": f"access_token={account.session_cookie}"})


# --- running and measuring -----------------------------------------------------------------


@dataclass
class Result:
    scenario: str
    requests: int
    concurrency: int
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the latencies, in milliseconds."""
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return math.nan
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


async def _send(client: httpx.AsyncClient, scenario: Scenario) -> None:
    response = await client.request(scenario.method, scenario.path, headers=scenario.headers,
                                    json=scenario.body)
    scenario.check(response)


async def run_scenario(client: httpx.AsyncClient, scenario: Scenario, *, requests: int,
                       concurrency: int) -> Result:
    """``requests`` requests, ``concurrency`` workers each taking the next one as it frees up."""
    result = Result(scenario.name, requests, concurrency)
    tickets: Iterator[int] = iter(range(requests))  # the shared counter

    async def worker() -> None:
        for _ in tickets:
            started = time.perf_counter()
            try:
                await _send(client, scenario)
            except (httpx.HTTPError, BadResponse) as exc:
                result.errors[f"{type(exc).__name__}: {exc}"[:300]] += 1
            result.latencies_ms.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - started
    return result


async def bench(url: str, *, requests: int, concurrency: int) -> list[Result]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT_SECONDS) as setup:
        try:
            account = await create_account(setup)
        except httpx.HTTPError as exc:
            raise SystemExit(f"bench: cannot set up the user on {url}: {exc!r}") from exc
    results = []
    async with httpx.AsyncClient(base_url=url, limits=limits,
                                 timeout=REQUEST_TIMEOUT_SECONDS) as client:
        for scenario in (graphql_bearer(account), rest_cookie_me(account)):
            warmup = await run_scenario(client, scenario, requests=WARMUP_REQUESTS,
                                        concurrency=concurrency)
            if warmup.errors:
                print_errors([warmup])
                raise SystemExit(f"bench: warm-up of {scenario.name} failed")
            results.append(await run_scenario(client, scenario, requests=requests,
                                              concurrency=concurrency))
    return results


# --- reporting -----------------------------------------------------------------------------

COLUMNS = ("scenario", "requests", "concurrency", "errors", "req/s", "p50 ms", "p90 ms",
           "p99 ms", "max ms")


def print_context(url: str, workers: int | None) -> None:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, load average {load}")
    print(f"python:  {platform.python_implementation()} {platform.python_version()}")
    server = (f"started here: learngraph serve --workers {workers}, embedded PostgreSQL"
              if workers else "already running: workers unknown")
    print(f"server:  {url} ({server})")


def print_table(results: list[Result]) -> None:
    rows = [COLUMNS] + [
        (r.scenario, str(r.requests), str(r.concurrency), str(r.error_count), f"{r.rate:.0f}",
         *(f"{r.percentile(p):.1f}" for p in (50, 90, 99)), f"{max(r.latencies_ms):.1f}")
        for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]

    def line(row: tuple[str, ...]) -> str:
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:],
                                                                       strict=True)]
        return "  ".join(cells)

    print(line(rows[0]))
    print("  ".join("-" * w for w in widths))
    for row in rows[1:]:
        print(line(row))


def print_errors(results: list[Result]) -> None:
    for result in results:
        for message, count in result.errors.most_common(5):
            print(f"  {result.scenario}: {count} x {message}")


def print_shutdown(report: ShutdownReport) -> None:
    code = "killed after timeout" if report.exit_code is None else f"exit code {report.exit_code}"
    if report.signalled:
        print(f"server shutdown (SIGINT): {code} after {report.seconds:.2f} s")
    else:
        print(f"server shutdown: it had already exited, {code}")
    if report.stray_postgres:
        print("stray postgres:")
        for process in report.stray_postgres:
            print(f"  {process}")
    else:
        print("stray postgres: none")


# --- command line --------------------------------------------------------------------------


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="bench this running server (http://host:port) instead of "
                                      "starting one")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow a --url that is not on this machine")
    parser.add_argument("--requests", type=int, default=2000, help="requests per scenario")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    parser.add_argument("--workers", type=int, default=2,
                        help="worker processes of the server this script starts")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.concurrency < 1 or args.workers < 1:
        parser.error("--requests, --concurrency and --workers must be at least 1")
    if args.url:
        parts = urlsplit(args.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            parser.error("--url must look like http://host:port")
        if not _is_loopback(parts.hostname) and not args.allow_remote:
            parser.error(f"{parts.hostname} is not a loopback address; pass --allow-remote "
                         "to load a server on another machine")
        args.url = args.url.rstrip("/")
    return args


def _report(results: list[Result]) -> bool:
    print()
    print_table(results)
    failed = [r for r in results if r.errors]
    if failed:
        print("errors:")
        print_errors(failed)
    return not failed


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = {"requests": args.requests, "concurrency": args.concurrency}
    if args.url:
        print_context(args.url, None)
        return 0 if _report(asyncio.run(bench(args.url, **sizes))) else 1

    # SIGTERM ends the run the way Ctrl-C does: the server is still stopped and removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    server = ManagedServer(_learngraph_command(), args.workers)
    server.start()
    healthy = False
    try:
        startup = server.wait_healthy()
        healthy = True
        print_context(server.url, args.workers)
        print(f"start-up: healthy after {startup:.1f} s (data dir {server.data_dir})")
        ok = _report(asyncio.run(bench(server.url, **sizes)))
    finally:
        report = server.stop()
        log_tail = server.log_tail()
        server.remove_data_dir()  # before printing: a closed stdout must not leave it behind
        print()
        print_shutdown(report)
        if not (healthy and report.clean):
            print("last lines of the server log:")
            print(log_tail)
    return 0 if ok and report.clean else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        sys.exit(130)
