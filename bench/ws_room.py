"""A crowded live room: how long a chat message takes to reach every attendee.

It starts two ``learngraph serve`` processes on one data directory (the second
attaches to the first one's embedded PostgreSQL), signs in as the Codelabs
facilitator, creates a codelab and registers ``--attendees`` attendees (500 by
default). Half of them open ``WS /api/ws/:id`` on each server. The facilitator
then says ``--messages`` chat messages in the room from the first server, one
every ``--interval-ms``; every attendee records when each arrives. A message
reaches the attendees on the first server in-process and those on the second
through PostgreSQL's LISTEN/NOTIFY, as between any two instances.

The attendees' sockets are spread over ``--client-processes`` processes so the
load client's own CPU does not queue the frames it measures; the send and
arrival times share the system's monotonic clock. It prints the latency from
the send to each arrival (p50, p90, p99, max), per server and in all, how many
arrived, and whether the p99 is within ``--target-ms`` (100 ms). It also prints
the CPU time the two server processes spent from the first send until every
arrival was in, per delivered message: on a machine shared with other work the
latency says little, and that figure says what the fan-out costs. Run by hand,
never in CI::

    .venv/bin/python bench/ws_room.py
    .venv/bin/python bench/ws_room.py --attendees 200 --messages 50 --interval-ms 100

The process exits non-zero when a message did not reach everyone, when the p99
misses the target, or when a server did not stop cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from auth_load import _free_port, _learngraph_command, _postgres_processes  # noqa: E402

ADMIN_PASSWORD = "bench-" + secrets.token_urlsafe(12)
STARTUP_TIMEOUT_SECONDS = 180.0
SHUTDOWN_TIMEOUT_SECONDS = 60.0
ARRIVAL_TIMEOUT_SECONDS = 30.0


class Servers:
    """Two ``learngraph serve`` processes sharing one data directory and secret."""

    def __init__(self, command: Path) -> None:
        self.command = command
        self.data_dir = Path(tempfile.mkdtemp(prefix="learngraph-bench-room-")).resolve()
        self.env = {**os.environ, "LEARNGRAPH_DATA_DIR": str(self.data_dir),
                    "LEARNGRAPH_SECRET_KEY": secrets.token_urlsafe(48),
                    "LEARNGRAPH_CODELABS_ADMIN_PASSWORD": ADMIN_PASSWORD}
        self.env.pop("DATABASE_URL", None)
        self.ports = [_free_port(), _free_port()]
        self.processes: list[subprocess.Popen[bytes]] = []

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def start(self) -> None:
        for index, port in enumerate(self.ports):
            extra = ["--no-migrate"] if index else []
            log = (self.data_dir / f"server{index}.log").open("wb")
            self.processes.append(subprocess.Popen(
                [str(self.command), "serve", "--host", "127.0.0.1", "--port", str(port),
                 "--workers", "1", *extra], env=self.env, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
            self._wait_healthy(index)

    def _wait_healthy(self, index: int) -> None:
        started = time.monotonic()
        with httpx.Client(base_url=self.urls[index], timeout=5.0) as client:
            while time.monotonic() - started < STARTUP_TIMEOUT_SECONDS:
                if self.processes[index].poll() is not None:
                    raise SystemExit(f"bench: server {index} exited at start-up:\n"
                                     + self.log_tail(index))
                try:
                    if client.get("/api/health").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.25)
        raise SystemExit(f"bench: server {index} not healthy:\n" + self.log_tail(index))

    def log_tail(self, index: int, lines: int = 30) -> str:
        path = self.data_dir / f"server{index}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> bool:
        """Stop the second, then the first (which owns PostgreSQL); whether both exited 0
        and no postgres process of the data directory is left."""
        clean = True
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
            try:
                clean &= process.wait(timeout=SHUTDOWN_TIMEOUT_SECONDS) == 0
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                clean = False
        stray = _postgres_processes(self.data_dir)
        print(f"server shutdown: {'clean' if clean else 'NOT clean'}, "
              f"stray postgres: {', '.join(stray) or 'none'}")
        shutil.rmtree(self.data_dir, ignore_errors=True)
        return clean and not stray


def _ok(response: httpx.Response, what: str) -> dict:
    if response.status_code != 200:
        raise SystemExit(f"bench: {what} answered {response.status_code}: "
                         f"{response.text[:300]}")
    return response.json()


async def prepare(url: str, attendees: int) -> tuple[str, str, list[str]]:
    """Sign in as the facilitator, create a codelab, register the attendees: the codelab
    id, the facilitator's cookie and each attendee's cookie."""
    async with httpx.AsyncClient(base_url=url, timeout=60.0) as admin:
        _ok(await admin.post("/api/login", json={"admin_id": "admin",
                                                 "admin_pw": ADMIN_PASSWORD}), "login")
        headers = {"X-CSRF-Token": admin.cookies["oc_csrf"]}
        codelab = _ok(await admin.post("/api/codelabs", json={
            "title": "Bench room", "description": "", "author": "bench"}, headers=headers),
            "create codelab")
        facilitator = admin.cookies["oc_session"]

    gate = asyncio.Semaphore(16)

    async def register(number: int) -> str:
        async with gate, httpx.AsyncClient(base_url=url, timeout=60.0) as http:
            _ok(await http.post(f"/api/codelabs/{codelab['id']}/register", json={
                "name": f"Attendee {number}", "code": codelab["attendance_code"]}),
                "register")
            return http.cookies["oc_session"]

    cookies = await asyncio.gather(*(register(n) for n in range(attendees)))
    return codelab["id"], facilitator, list(cookies)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process (all its threads) has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ws_url(url: str, codelab_id: str) -> str:
    return url.replace("http://", "ws://") + f"/api/ws/{codelab_id}"


async def _listen(sockets: list[tuple[int, str, str]], messages: int, ready, results) -> None:
    """One client process: open its sockets, then record when each message arrives."""
    arrivals: list[tuple[int, int, int]] = []  # (server, message number, arrival ns)
    connections = []
    for server, url, cookie in sockets:
        connections.append((server, await connect(url, additional_headers={
            "Cookie": f"oc_session={cookie}"}, max_queue=None, open_timeout=60)))
    ready.put(len(connections))

    async def receive(server: int, ws) -> None:
        seen = 0
        while seen < messages:
            event = json.loads(await ws.recv())
            if event.get("type") == "chat" and event["message"].startswith("bench "):
                arrivals.append((server, int(event["message"].split()[1]),
                                 time.monotonic_ns()))
                seen += 1

    try:
        await asyncio.wait_for(asyncio.gather(*(receive(s, ws) for s, ws in connections)),
                               ARRIVAL_TIMEOUT_SECONDS + messages)
    except TimeoutError:
        pass
    for _, ws in connections:
        await ws.close()
    results.put(arrivals)


def _client_process(sockets, messages, ready, results) -> None:
    asyncio.run(_listen(sockets, messages, ready, results))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def summary(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:<22} no arrivals"
    return (f"{name:<22} n={len(values):>6}  p50 {percentile(values, 0.50):7.1f} ms  "
            f"p90 {percentile(values, 0.90):7.1f} ms  p99 {percentile(values, 0.99):7.1f} ms  "
            f"max {max(values):7.1f} ms")


async def measure(args, urls: list[str], pids: list[int]) -> bool:
    codelab_id, facilitator, cookies = await prepare(urls[0], args.attendees)
    sockets = [(n % 2, ws_url(urls[n % 2], codelab_id), cookie)
               for n, cookie in enumerate(cookies)]
    context = multiprocessing.get_context("spawn")
    ready, results = context.Queue(), context.Queue()
    shares = [sockets[i::args.client_processes] for i in range(args.client_processes)]
    clients = [context.Process(target=_client_process, args=(share, args.messages, ready,
                                                             results), daemon=True)
               for share in shares]
    for client in clients:
        client.start()
    opened = sum(ready.get(timeout=300) for _ in clients)
    print(f"room: {opened} attendees connected ({sum(1 for s in sockets if s[0] == 0)} on "
          f"server 0, {sum(1 for s in sockets if s[0] == 1)} on server 1), "
          f"{args.client_processes} client processes")
    await asyncio.sleep(2.0)  # let every subscription settle

    sent: dict[int, int] = {}
    cpu_before = [cpu_seconds(pid) for pid in pids]
    async with connect(ws_url(urls[0], codelab_id), additional_headers={
            "Cookie": f"oc_session={facilitator}"}, max_queue=None) as ws:
        for number in range(args.messages):
            sent[number] = time.monotonic_ns()
            await ws.send(json.dumps({"type": "chat", "message": f"bench {number}"}))
            await asyncio.sleep(args.interval_ms / 1000)
        arrivals = []
        for _ in clients:
            arrivals.extend(await asyncio.to_thread(
                results.get, True, ARRIVAL_TIMEOUT_SECONDS + args.messages + 60))
    cpu = [cpu_seconds(pid) - before for pid, before in zip(pids, cpu_before, strict=True)]
    for client in clients:
        client.join(timeout=30)

    latencies = {0: [], 1: []}
    for server, number, at in arrivals:
        latencies[server].append((at - sent[number]) / 1e6)
    everything = latencies[0] + latencies[1]
    expected = args.attendees * args.messages
    print(summary("server 0 (in-process)", latencies[0]))
    print(summary("server 1 (via NOTIFY)", latencies[1]))
    print(summary("all attendees", everything))
    p99 = percentile(everything, 0.99) if everything else float("inf")
    delivered = len(everything) == expected
    print(f"delivered {len(everything)} of {expected} ({args.messages} messages x "
          f"{args.attendees} attendees): {'all' if delivered else 'MISSING SOME'}")
    per_delivery = sum(cpu) / max(1, len(everything))
    print(f"server CPU {sum(cpu) * 1000:.0f} ms (server 0 {cpu[0] * 1000:.0f} ms, server 1 "
          f"{cpu[1] * 1000:.0f} ms): {per_delivery * 1e6:.1f} us per delivered message, "
          f"{sum(cpu) * 1000 / args.messages:.2f} ms per message said")
    met = p99 <= args.target_ms
    print(f"p99 {p99:.1f} ms: {'within' if met else 'OVER'} the {args.target_ms:.0f} ms target")
    return delivered and met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attendees", type=int, default=500)
    parser.add_argument("--messages", type=int, default=40)
    parser.add_argument("--interval-ms", type=float, default=250.0)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--target-ms", type=float, default=100.0)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}, Python "
          f"{platform.python_version()}")
    servers = Servers(_learngraph_command())
    ok = False
    try:
        servers.start()
        ok = asyncio.run(measure(args, servers.urls, [p.pid for p in servers.processes]))
    finally:
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        ok = servers.stop() and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
