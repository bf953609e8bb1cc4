"""Tutor streams: what learngraph adds on top of the model, and cache-hit greetings.

A local Anthropic-compatible server (the one the test suite uses) emits a
200-token answer at a fixed pace. The script measures, for the same answer:

- the model alone, through the ``anthropic`` SDK: time to first token and total;
- a chat message through learngraph's REST face (SSE);
- the same through GraphQL: ``sendChatMessage`` plus the ``chatEvents``
  subscription over a WebSocket;

and prints what learngraph adds to each. Then it measures greetings answered
from the response cache (no model call) at a fixed concurrency: p50 and p99, after a
first burst that opens the server's database connections (reported apart). As in
real traffic, they come from many learners (``--learners``, four per connection by
default), each greeting in a session of their own, and no learner has two greetings
in flight. They are sent by ``wrk`` when it is installed (``apt install wrk``), one
connection per thread, each thread timing its own requests and checking every answer
(status 200 and the stored answer's ``done`` event): a client in C, whose CPU per
greeting is a small share of the server's. Without it (or with ``--client python``) a
bare HTTP/1.1 client in Python sends them on kept-open connections (``KeepAlive``),
not httpx, whose CPU per request on the same cores would be as much as the server's
work. The CPU that the client, the server's processes and PostgreSQL spent over the
greetings is read from ``/proc`` and printed per greeting; afterwards every session of
the learners must hold the greeting and its whole answer from the cache.
Last, a 10-turn conversation shows what the tutor's prompt caching saves: the
share of input tokens read from the provider's cache (the local server caches
prompt prefixes as the API does, see ``PromptCache``), as the model reported it
and as learngraph's usage ledger recorded it.

It starts ``learngraph serve --seed-demo`` on a fresh data directory (its own
embedded PostgreSQL) and signs in as the demo learner. Run by hand, never in CI::

    .venv/bin/python bench/tutor_stream.py
    .venv/bin/python bench/tutor_stream.py --runs 20 --greetings 400 --pace-ms 5
    .venv/bin/python bench/tutor_stream.py --greetings-only --greetings 2000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anthropic
import httpx
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from auth_load import ManagedServer  # noqa: E402
from telemetry import _children_cpu_seconds, _cpu_seconds, _server_pids  # noqa: E402

from tests.fakes.anthropic_server import FakeAnthropic  # noqa: E402

API = "/api/v1"
KEY = "sk-ant-bench-tutor-key"
TOKENS = 200
SEND = "mutation($id: ID!) { sendChatMessage(sessionId: $id, content: \"Explain it.\") " \
       "{ accepted } }"
EVENTS = "subscription($id: ID!) { chatEvents(sessionId: $id) { __typename " \
         "... on ChatChunk { content } } }"


def answer_chunks() -> list[str]:
    return [f"token{i} " for i in range(TOKENS)]


def script(fake: FakeAnthropic, pace: float, count: int = 1) -> None:
    chunks = answer_chunks()
    for _ in range(count):
        fake.reply_text("".join(chunks), chunks=chunks, delay_per_chunk=pace)


async def upstream_alone(fake: FakeAnthropic, pace: float) -> tuple[float, float]:
    script(fake, pace)
    client = anthropic.AsyncAnthropic(api_key=KEY, base_url=fake.base_url, max_retries=0)
    started = time.perf_counter()
    first = None
    async with client.messages.stream(model="bench", max_tokens=1024, messages=[
            {"role": "user", "content": "Explain it."}]) as stream:
        async for _ in stream.text_stream:
            first = first or time.perf_counter() - started
    total = time.perf_counter() - started
    await client.close()
    return first, total


async def find_content_item(http: httpx.AsyncClient, headers: dict) -> int:
    for course in (await http.get(f"{API}/courses/", headers=headers)).json():
        modules = (await http.get(f"{API}/modules/courses/{course['id']}/modules",
                                  headers=headers)).json()
        for module in modules:
            items = (await http.get(f"{API}/content/modules/{module['id']}/content",
                                    headers=headers)).json()
            if items:
                return items[0]["id"]
    raise SystemExit("the demo data has no content item")


async def new_session(http: httpx.AsyncClient, headers: dict, item_id: int) -> int:
    response = await http.post(f"{API}/chat/sessions", json={"content_item_id": item_id},
                               headers=headers)
    response.raise_for_status()
    return response.json()["id"]


async def through_sse(http, headers, item_id, fake, pace) -> tuple[float, float]:
    session_id = await new_session(http, headers, item_id)
    script(fake, pace)
    started = time.perf_counter()
    first = None
    async with http.stream("POST", f"{API}/chat/sessions/{session_id}/messages",
                           json={"content": "Explain it."}, headers=headers) as response:
        async for line in response.aiter_lines():
            if not line.startswith("data: "):
                continue
            event = json.loads(line[6:])
            if event.get("error"):
                raise SystemExit(f"stream failed: {event}")
            if not event["done"] and event["content"]:
                first = first or time.perf_counter() - started
    return first, time.perf_counter() - started


async def through_subscription(http, ws_url, headers, item_id, fake,
                               pace) -> tuple[float, float]:
    session_id = await new_session(http, headers, item_id)
    async with connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init",
                                  "payload": {"Authorization": headers["Authorization"]}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": EVENTS, "variables": {"id": str(session_id)}}}))
        await asyncio.sleep(0.2)  # let the subscription reach the broker
        script(fake, pace)
        started = time.perf_counter()
        response = await http.post("/graphql", json={"query": SEND,
                                                     "variables": {"id": str(session_id)}},
                                   headers=headers)
        assert not response.json().get("errors"), response.text
        first = None
        while True:
            message = json.loads(await ws.recv())
            if message.get("type") != "next":
                continue
            event = message["payload"]["data"]["chatEvents"]
            if event["__typename"] == "ChatChunk":
                first = first or time.perf_counter() - started
            elif event["__typename"] == "ChatDone":
                return first, time.perf_counter() - started
            else:
                raise SystemExit(f"turn failed: {event}")


async def learners(http: httpx.AsyncClient, count: int) -> list[dict]:
    """``count`` new learners' headers (registered for this run)."""
    found = []
    for i in range(count):
        response = await http.post(f"{API}/auth/register", json={
            "email": f"bench-learner-{i}@example.com", "password": "Bench-password-42"})
        response.raise_for_status()
        found.append({"Authorization": f"Bearer {response.json()['access_token']}"})
    return found


async def greeting_sessions(http, users, item_id, count) -> list[tuple[dict, int]]:
    """``count`` new sessions, learner after learner: the ``i``-th is the learner
    ``i % len(users)``'s."""
    limit = asyncio.Semaphore(16)

    async def one(headers: dict) -> tuple[dict, int]:
        async with limit:
            return headers, await new_session(http, headers, item_id)

    return list(await asyncio.gather(*(one(users[i % len(users)]) for i in range(count))))


class KeepAlive:
    """One HTTP/1.1 connection kept open, sending one request at a time: the greetings'
    client. httpx spends about 3 ms of CPU per request (its request and response objects,
    h11), as much as the server spends on a greeting, on the same 2 cores; this sends
    what httpx sends (the same request line and headers) and reads the response whole
    (its length, or its chunks), so the server's work is the same and the cores are
    left to it."""

    def __init__(self, url: str) -> None:
        self.host, _, port = url.removeprefix("http://").partition(":")
        self.port = int(port or 80)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> KeepAlive:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.writer.close()
        await self.writer.wait_closed()

    async def post(self, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        """POST with no body: the status and the whole response body."""
        lines = [f"POST {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Accept: */*",
                 "Accept-Encoding: gzip, deflate", "Connection: keep-alive",
                 f"User-Agent: python-httpx/{httpx.__version__}", "Content-Length: 0",
                 *(f"{name}: {value}" for name, value in headers.items())]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        fields = {name.lower(): value.strip()
                  for name, _, value in (line.partition(":") for line in head[1:] if line)}
        if "content-length" in fields:
            return status, await self.reader.readexactly(int(fields["content-length"]))
        assert fields.get("transfer-encoding") == "chunked", fields
        body = bytearray()
        while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
            body += await self.reader.readexactly(size)
            await self.reader.readexactly(2)
        await self.reader.readuntil(b"\r\n")  # the blank line after the last chunk
        return status, bytes(body)


def split(greetings: list, connections: int) -> list[list]:
    """Each connection's greetings: the ``j``-th takes the ``j``-th, ``j + connections``-th
    ... With learners a multiple of the connections, each learner's greetings all go on
    one connection, one at a time: no learner has two in flight."""
    return [greetings[j::connections] for j in range(connections)]


async def python_greetings(url, greetings, concurrency) -> list[float]:
    """The greetings' latencies, sent by ``KeepAlive`` connections (``concurrency``)."""
    latencies: list[float] = []

    async def connection_of(mine: list[tuple[dict, int]]) -> None:
        async with KeepAlive(url) as connection:
            for headers, session_id in mine:
                started = time.perf_counter()
                status, body = await connection.post(
                    f"{API}/chat/sessions/{session_id}/greeting", headers)
                assert status == 200 and ANSWERED in body, body[-200:]
                latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(connection_of(mine) for mine in split(greetings, concurrency)))
    return latencies


# The last event of a greeting answered and stored: its answer's id follows.
ANSWERED = b'"done": true, "message_id": '

# wrk: one connection per thread, sending the greetings of the listing's lines ``index``,
# ``index + threads`` ... (at least one each) one at a time and timing each
# (CLOCK_MONOTONIC, through LuaJIT's FFI); every answer must be 200 with ``ANSWERED``. When
# its last answer is in, a thread writes one line, ``greetings <latencies in s,
# comma-separated> <bad answers>`` with a bad answer's status and the end of its body
# after it, and stops; its connection is never asked for another request (an empty
# request is sent as nothing). wrk itself runs for its whole ``-d`` unless interrupted:
# the bench interrupts it once every thread has written.
WRK_SCRIPT = """
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *now);
]]
local clock = ffi.new("bench_timespec")
local function now()
  ffi.C.clock_gettime(1, clock)
  return tonumber(clock.tv_sec) + tonumber(clock.tv_nsec) * 1e-9
end

local threads = 0
function setup(thread)
  thread:set("index", threads)
  threads = threads + 1
end

local ANSWERED = [[ANSWERED]]
local requests, latencies, bad, sent, started = {}, {}, 0, 0, 0
local first_bad = ""

local function report()
  io.write("greetings " .. table.concat(latencies, ",") .. " " .. bad .. " " .. first_bad
           .. "\\n")
  io.flush()
end

function init(args)
  local threads, line = tonumber(args[2]), 0
  for entry in io.lines(args[1]) do
    if line % threads == index then
      local session, token = entry:match("^(%d+) (%S+)$")
      requests[#requests + 1] = wrk.format(
        "POST", "/api/v1/chat/sessions/" .. session .. "/greeting",
        {["Authorization"] = "Bearer " .. token, ["Accept"] = "*/*"}, "")
    end
    line = line + 1
  end
  verifying = index == 0
  if #requests == 0 then report() end
end

function request()
  if verifying then
    -- wrk asks the first thread for a request before any connection opens, to check
    -- it: that one is not sent.
    verifying = false
    return requests[1]
  end
  if sent == #requests then return "" end
  sent = sent + 1
  started = now()
  return requests[sent]
end

function response(status, headers, body)
  latencies[#latencies + 1] = string.format("%.6f", now() - started)
  if status ~= 200 or not body:find(ANSWERED, 1, true) then
    bad = bad + 1
    if first_bad == "" then
      first_bad = status .. ":" .. body:sub(-120):gsub("%s+", "_")
    end
  end
  if #latencies == #requests then
    report()
    wrk.thread:stop()
  end
end
"""


async def wrk_greetings(url, greetings, concurrency) -> list[float]:
    """The greetings' latencies, sent by wrk (``WRK_SCRIPT``), ``concurrency`` threads."""
    with tempfile.TemporaryDirectory(prefix="bench-greetings-") as folder:
        script, listing = Path(folder) / "greetings.lua", Path(folder) / "greetings.txt"
        script.write_text(WRK_SCRIPT.replace("[[ANSWERED]]", f"'{ANSWERED.decode()}'"))
        listing.write_text("".join(
            f"{session_id} {headers['Authorization'].removeprefix('Bearer ')}\n"
            for headers, session_id in greetings))
        process = await asyncio.create_subprocess_exec(
            "wrk", f"-t{concurrency}", f"-c{concurrency}", "-d600s", "--timeout", "60s",
            "-s", str(script), url, "--", str(listing), str(concurrency),
            stdout=asyncio.subprocess.PIPE)
        latencies: list[float] = []
        reports, output = 0, []
        while reports < concurrency:
            try:
                line = (await asyncio.wait_for(process.stdout.readline(), 120)).decode()
            except TimeoutError:
                process.kill()
                line = ""
            if not line:
                raise SystemExit("wrk failed:\n" + "".join(output))
            output.append(line)
            if not line.startswith("greetings "):
                continue
            reports += 1
            _, times, bad, *first_bad = line.rstrip("\n").split(" ", 3)
            if int(bad):
                process.send_signal(signal.SIGINT)
                await process.wait()
                raise SystemExit(f"{bad} greeting(s) not answered, the first: {first_bad}")
            latencies += [float(value) for value in times.split(",") if value]
        process.send_signal(signal.SIGINT)  # wrk waits out its -d otherwise
        await process.communicate()
    return latencies


async def cached_greetings(http, server, greetings, concurrency,
                           client: str) -> tuple[list[float], dict[str, float]]:
    """The greetings' latencies, and the CPU seconds per greeting of the client, the
    server's processes and its PostgreSQL over them."""
    pids = _server_pids(server)
    everything, postgres = _cpu_seconds(pids), _cpu_seconds(pids[1:])
    client_cpu = _children_cpu_seconds() if client == "wrk" else time.process_time()
    if client == "wrk":
        latencies = await wrk_greetings(server.url, greetings, concurrency)
        client_cpu = _children_cpu_seconds() - client_cpu
    else:
        latencies = await python_greetings(server.url, greetings, concurrency)
        client_cpu = time.process_time() - client_cpu
    postgres = _cpu_seconds(pids[1:]) - postgres
    server_cpu = _cpu_seconds(pids) - everything - postgres
    assert len(latencies) == len(greetings), (len(latencies), len(greetings))
    return latencies, {name: value / len(greetings) for name, value in (
        ("client", client_cpu), ("server", server_cpu), ("PostgreSQL", postgres))}


SESSIONS = """query($after: String) { myChatSessions(first: 50, after: $after) {
  pageInfo { hasNextPage endCursor }
  nodes { messages(first: 3) { nodes { role content meta } } } } }"""


async def check_stored(http, users, greetings) -> None:
    """Every greeting answered is stored: each of the learners' sessions (they have no
    others) holds ``Start.`` and the whole answer from the cache, nothing else, and
    there are as many as greetings."""
    answer = "".join(answer_chunks())
    found = 0
    for headers in users:
        after = None
        while True:
            response = await http.post("/graphql", headers=headers, json={
                "query": SESSIONS, "variables": {"after": after}})
            body = response.json()
            assert not body.get("errors"), body["errors"]
            page = body["data"]["myChatSessions"]
            for session in page["nodes"]:
                messages = [(m["role"], m["content"], m["meta"].get("source"))
                            for m in session["messages"]["nodes"]]
                assert messages == [("USER", "Start.", None), ("ASSISTANT", answer, "cache")], \
                    messages
                found += 1
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
    assert found == len(greetings), f"{found} sessions answered of {len(greetings)}"


USAGE = "{ viewer { llmUsage { inputTokens cacheWriteTokens cacheReadTokens } } }"
QUESTIONS = ["Explain it.", "Why does that work?", "Give me an example.", "What about a loop?",
             "When should I avoid it?", "What is a base case?", "Show a harder one.",
             "How do I debug it?", "Quiz me.", "Summarize what we covered."]


async def ledger(http, headers) -> dict:
    response = await http.post("/graphql", json={"query": USAGE}, headers=headers)
    rows = response.json()["data"]["viewer"]["llmUsage"]
    return rows[0] if rows else {"inputTokens": 0, "cacheWriteTokens": 0, "cacheReadTokens": 0}


def read_share(read: int, written: int, uncached: int) -> str:
    total = read + written + uncached
    return f"{read / total * 100:.1f} % ({read:,} of {total:,} input tokens)" if total else "n/a"


async def cached_conversation(http, headers, item_id, fake, pace) -> None:
    session_id = await new_session(http, headers, item_id)
    before = await ledger(http, headers)
    start = len(fake.usages)
    for question in QUESTIONS:
        script(fake, pace / 5)
        async with http.stream("POST", f"{API}/chat/sessions/{session_id}/messages",
                               json={"content": question}, headers=headers) as response:
            async for _ in response.aiter_lines():
                pass
    turns = fake.usages[start:]
    after = await ledger(http, headers)
    print(f"prompt caching over a {len(turns)}-turn session: cache reads are "
          + read_share(sum(u["cache_read_input_tokens"] for u in turns),
                       sum(u["cache_creation_input_tokens"] for u in turns),
                       sum(u["input_tokens"] for u in turns))
          + " as the model reported; the usage ledger: "
          + read_share(after["cacheReadTokens"] - before["cacheReadTokens"],
                       after["cacheWriteTokens"] - before["cacheWriteTokens"],
                       after["inputTokens"] - before["inputTokens"]))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def report(name: str, samples: list[tuple[float, float]],
           base: tuple[float, float] | None) -> None:
    ttft = statistics.median(s[0] for s in samples)
    total = statistics.median(s[1] for s in samples)
    line = f"{name:22} ttft {ttft * 1000:8.1f} ms  total {total * 1000:8.1f} ms"
    if base is not None:
        line += (f"  added: ttft {(ttft - base[0]) * 1000:+7.1f} ms, "
                 f"total {(total - base[1]) * 1000:+7.1f} ms")
    print(line)


async def run(args: argparse.Namespace, server: ManagedServer, fake: FakeAnthropic) -> None:
    pace = args.pace_ms / 1000
    limits = httpx.Limits(max_connections=args.concurrency + 4)
    async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as http:
        login = await http.post(f"{API}/auth/login", json={
            "email": "demo@learngraph.dev", "password": "learngraph-demo"})
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        item_id = await find_content_item(http, headers)

        if not args.greetings_only:
            await streams(args, http, server, fake, headers, item_id)

        await greetings_part(args, http, server, fake, headers, item_id)
        if not args.greetings_only:
            await cached_conversation(http, headers, item_id, fake, pace)
        print(f"load average {os.getloadavg()[0]:.1f}")


async def streams(args, http, server, fake, headers, item_id) -> None:
    """The three paths in turn, round after round. On a machine whose load drifts (the
    cores shared with other work), paths run minutes apart are not measured under the same
    load: each round's learngraph times are also held against the model's own time in
    that round, and the medians of those differences printed (paired)."""
    pace = args.pace_ms / 1000
    ws_url = server.url.replace("http://", "ws://") + "/graphql"
    alone, sse, sub = [], [], []
    for _ in range(args.runs):
        alone.append(await upstream_alone(fake, pace))
        sse.append(await through_sse(http, headers, item_id, fake, pace))
        sub.append(await through_subscription(http, ws_url, headers, item_id, fake, pace))
    base = (statistics.median(s[0] for s in alone), statistics.median(s[1] for s in alone))
    print(f"answer: {TOKENS} tokens, {args.pace_ms:g} ms apart; medians of {args.runs} runs, "
          "the paths in turn in each round")
    report("model alone (SDK)", alone, None)
    report("learngraph SSE", sse, base)
    report("learngraph GraphQL sub", sub, base)
    for name, samples in (("SSE", sse), ("GraphQL sub", sub)):
        added = sorted((s[0] - a[0]) * 1000 for s, a in zip(samples, alone, strict=True))
        print(f"{name} ttft added, paired with the model alone of each round: median "
              f"{statistics.median(added):+.1f} ms (quartiles {percentile(added, 0.25):+.1f}, "
              f"{percentile(added, 0.75):+.1f})")


async def greetings_part(args, http, server, fake, headers, item_id) -> None:
    # Populate the greeting's cache node once, then every greeting is a hit.
    script(fake, args.pace_ms / 1000)
    first = await new_session(http, headers, item_id)
    greeting = await http.post(f"{API}/chat/sessions/{first}/greeting", headers=headers)
    greeting.raise_for_status()
    calls = len(fake.recorded())
    users = await learners(http, args.learners)
    # The first burst, one greeting per learner, opens the workers' database connections
    # (a new PostgreSQL backend each, whose caches fill with its first statements) and
    # is each learner's first activity of the day (their streak moves: a transaction
    # locking their row): a server that has been up a while has its connections, and a
    # learner greets for the first time in a day once, so that burst is reported apart.
    burst = await greeting_sessions(http, users, item_id, len(users))
    sessions = await greeting_sessions(http, users, item_id, args.greetings)
    warm, _ = await cached_greetings(http, server, burst, args.concurrency, args.client)
    print(f"first burst: {len(warm)} cached greetings at concurrency {args.concurrency}: "
          f"p50 {percentile(warm, 0.5) * 1000:.1f} ms  p99 "
          f"{percentile(warm, 0.99) * 1000:.1f} ms  (connections opening, each learner's "
          "first activity of the day; not counted below)")
    latencies, cpu = await cached_greetings(http, server, sessions, args.concurrency,
                                            args.client)
    assert len(fake.recorded()) == calls, "a cached greeting reached the model"
    client = (f"wrk, {args.concurrency} threads of one connection" if args.client == "wrk"
              else f"a bare HTTP/1.1 client in Python on {args.concurrency} kept-open "
              "connections (wrk not found)")
    print(f"cached greetings: {len(latencies)} from {len(users)} learners at concurrency "
          f"{args.concurrency}: p50 {percentile(latencies, 0.5) * 1000:.1f} ms  "
          f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms  max "
          f"{max(latencies) * 1000:.1f} ms  (no model calls; sent by {client})")
    print("CPU per cached greeting: " + ", ".join(
        f"{name} {seconds * 1000:.2f} ms" for name, seconds in cpu.items())
        + f"  (load average {os.getloadavg()[0]:.1f})")
    await check_stored(http, users, burst + sessions)
    print(f"stored: every greeting and its answer ({len(burst) + len(sessions)} sessions)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="streamed answers per path")
    parser.add_argument("--greetings", type=int, default=1000, help="cached greetings")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--learners", type=int,
                        help="learners sending the greetings (4 per connection)")
    parser.add_argument("--client", choices=("wrk", "python"),
                        default="wrk" if shutil.which("wrk") else "python",
                        help="what sends the cached greetings (wrk when installed)")
    parser.add_argument("--greetings-only", action="store_true",
                        help="only the cached greetings (no streams, no conversation)")
    parser.add_argument("--pace-ms", type=float, default=5.0, help="ms between tokens")
    # Two: on 2 cores shared with PostgreSQL, the client and other work, one worker spent
    # less CPU per cached greeting but had the longer tail (its one event loop waits
    # whenever it is descheduled, with every greeting in flight on it).
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    args.learners = args.learners or 4 * args.concurrency
    if args.greetings < args.concurrency:
        parser.error("--greetings must be at least --concurrency")
    if args.learners % args.concurrency:
        parser.error("--learners must be a multiple of --concurrency (see split)")
    if args.client == "wrk" and not shutil.which("wrk"):
        parser.error("--client wrk needs wrk on the PATH (apt install wrk)")

    fake = FakeAnthropic().start()
    os.environ["ANTHROPIC_BASE_URL"] = fake.base_url
    os.environ["ANTHROPIC_API_KEY"] = KEY
    # The greetings' learners register at the start of their part.
    os.environ["LEARNGRAPH_RATE_LIMIT_REGISTER"] = str(args.learners + 5)
    server = ManagedServer(ROOT / ".venv" / "bin" / "learngraph", args.workers,
                           extra_args=("--seed-demo",))
    server.start()
    try:
        seconds = server.wait_healthy()
        print(f"cpus {os.cpu_count()}  workers {args.workers}  server healthy after "
              f"{seconds:.1f} s  load average {os.getloadavg()[0]:.1f}")
        asyncio.run(run(args, server, fake))
    finally:
        shutdown = server.stop()
        # Before printing: a closed stdout must not leave the database's files behind.
        server.remove_data_dir()
        print(f"server shutdown: exit code {shutdown.exit_code}, "
              f"stray postgres: {shutdown.stray_postgres or 'none'}")
        fake.stop()


if __name__ == "__main__":
    main()
