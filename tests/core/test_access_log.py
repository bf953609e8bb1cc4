"""The access line of real requests: one per request, with what the operator needs and
no credential."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re

import pytest

from core.logs import (
    REQUEST_ID,
    JsonFormatter,
    LineHandler,
    RequestIdFilter,
    TextFormatter,
    UvicornWebSocketLines,
    line_handler,
)
from core.observe import access_line
from tests.fixtures import bearer_for
from tests.ws import graphql_ws

VIEWER = "query Me { viewer { isAuthenticated } }"


@pytest.fixture
def log_lines():
    """The JSON lines our handler writes while the test runs, parsed (the server's: the
    test's own HTTP client logs its requests too)."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [entry for entry in map(json.loads, out.getvalue().splitlines())
                   if not entry["logger"].startswith(("httpx", "httpcore"))]
    root.removeHandler(handler)
    root.setLevel(level)


def access(lines: list[dict], request_id: str) -> list[dict]:
    return [line for line in lines
            if line["logger"] == "learngraph.access" and line.get("request_id") == request_id]


async def test_a_graphql_request_logs_its_operation_viewer_and_cost(client, services, user,
                                                                    log_lines):
    headers = {**await bearer_for(services, user), "X-Request-Id": "req-graphql-1"}
    response = await client.post("/graphql", json={"query": VIEWER}, headers=headers)
    assert response.json()["data"] == {"viewer": {"isAuthenticated": True}}

    [line] = access(log_lines(), "req-graphql-1")
    assert line["method"] == "POST" and line["path"] == "/graphql" and line["status"] == 200
    assert line["viewer_id"] == str(user.id)
    assert (line["operation_name"], line["operation_type"], line["cost"]) == (
        "Me", "query", response.json()["extensions"]["cost"]["requestedQueryCost"])
    assert 0 < line["duration_ms"] < 10_000
    assert line["message"].startswith("POST /graphql 200 ")
    token = headers["Authorization"].removeprefix("Bearer ")
    assert not any(token in json.dumps(entry) for entry in log_lines())

    # An operation refused by validation is still named on its line, without a cost.
    refused = await client.post("/graphql", json={"query": "query Wrong { nosuchfield }"},
                                headers={"X-Request-Id": "req-graphql-2"})
    assert refused.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    [line] = access(log_lines(), "req-graphql-2")
    assert (line["operation_name"], line["operation_type"], line["cost"]) == (
        "Wrong", "query", None)


async def test_a_face_request_and_an_anonymous_one(client, log_lines):
    health = await client.get("/api/health?token=secret-in-query",
                              headers={"X-Request-Id": "req-face-1"})
    missing = await client.get("/api/v1/courses/nope", headers={"X-Request-Id": "req-face-2"})
    assert health.status_code == 200

    [first] = access(log_lines(), "req-face-1")
    [second] = access(log_lines(), "req-face-2")
    assert (first["method"], first["path"], first["status"], first["viewer_id"]) == (
        "GET", "/api/health", 200, None)
    assert "operation_name" not in first
    assert "secret-in-query" not in json.dumps(log_lines())
    # uvicorn's own access line stays off (the server runs with core.cli's settings).
    assert not [entry for entry in log_lines() if entry["logger"] == "uvicorn.access"]
    assert (second["status"], second["request_id"]) == (missing.status_code, "req-face-2")


async def test_an_error_answer_keeps_its_request_id(client, log_lines):
    too_large = await client.post("/graphql", content=b"x" * (11 * 1024 * 1024),
                                  headers={"Content-Type": "application/json"})
    refused = await client.post("/graphql", json={"query": "{ nosuchfield }"})
    request_id = too_large.headers["x-request-id"]

    [line] = access(log_lines(), request_id)
    assert (too_large.status_code, line["status"]) == (413, 413)
    [graphql] = access(log_lines(), refused.headers["x-request-id"])
    assert graphql["status"] == refused.status_code
    assert refused.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_a_websocket_connection_logs_one_line_when_it_closes(server, clean_db, log_lines):
    async with graphql_ws(server.ws_url, headers={"X-Request-Id": "req-ws-1"}) as ws:
        await ws.init()
    for _ in range(100):
        lines = access(log_lines(), "req-ws-1")
        if lines:
            break
        await asyncio.sleep(0.02)
    [line] = lines
    assert (line["method"], line["path"], line["status"]) == ("WS", "/graphql", 101)


def test_records_logged_while_serving_carry_the_request_id():
    record = logging.LogRecord("learngraph.x", logging.ERROR, __file__, 1, "boom", (), None)
    token = REQUEST_ID.set("req-inner-1")
    try:
        RequestIdFilter().filter(record)
    finally:
        REQUEST_ID.reset(token)
    assert json.loads(JsonFormatter().format(record))["request_id"] == "req-inner-1"
    assert TextFormatter().format(record) == "ERROR learngraph.x: boom [request req-inner-1]"


def test_the_text_format_is_one_readable_line():
    record = logging.LogRecord("learngraph.access", logging.INFO, __file__, 1,
                               "%s %s %s %.1fms", ("GET", "/healthz", 200, 1.25), None)
    record.access = {"request_id": "r1", "status": 200, "viewer_id": None}
    record.request_id = "r1"
    assert TextFormatter().format(record) == (
        "INFO learngraph.access: GET /healthz 200 1.2ms [request r1]")


def test_the_text_format_keeps_the_access_fields():
    """The text line says what the JSON one does: the operation, its cost, the viewer and
    the request's id."""
    record = logging.LogRecord("learngraph.access", logging.INFO, __file__, 1,
                               "%s %s %s %.1fms", ("POST", "/graphql", 200, 3.5), None)
    record.access = {"request_id": "r2", "method": "POST", "path": "/graphql",
                     "status": 200, "duration_ms": 3.5, "viewer_id": "u-1",
                     "operation_name": "Budget", "operation_type": "query", "cost": 8}
    record.request_id = "r2"
    assert TextFormatter().format(record) == (
        "INFO learngraph.access: POST /graphql 200 3.5ms query Budget cost 8 viewer u-1 "
        "[request r2]")
    record.access = {**record.access, "operation_name": None}
    assert "query anonymous cost 8" in TextFormatter().format(record)


def test_uvicorn_s_own_websocket_lines_are_left_out():
    """Our access line is the one line a WebSocket writes; uvicorn's server lines stay."""
    def record(message: str, *args) -> logging.LogRecord:
        return logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, message, args,
                                 None)

    kept = UvicornWebSocketLines()
    assert not kept.filter(record('%s - "WebSocket %s" [accepted]', "127.0.0.1:5", "/graphql"))
    assert not kept.filter(record('%s - "WebSocket %s" %d', "127.0.0.1:5", "/graphql", 403))
    assert not kept.filter(record("connection open"))
    assert kept.filter(record("Started server process [%d]", 42))


async def test_the_front_door_logs_the_line_the_stack_logs(server, client, log_lines):
    """A planned read sent with its length is answered by the front door, one sent
    chunked by the stack: their lines say the same."""
    await client.post("/graphql", json={"query": "query Typename { __typename }"})
    raw = b'{"query": "query Typename { __typename }"}'

    async def chunked():
        yield raw

    for request_id, content in (("req-stack-1", chunked()), ("req-door-1", raw)):
        await client.post("/graphql", content=content, headers={
            "Content-Type": "application/json", "X-Request-Id": request_id})
    [stack] = access(log_lines(), "req-stack-1")
    [door] = access(log_lines(), "req-door-1")
    apart = {"time", "request_id", "duration_ms", "message"}
    assert {k: v for k, v in door.items() if k not in apart} == {
        k: v for k, v in stack.items() if k not in apart} == {
        "level": "info", "logger": "learngraph.access", "method": "POST",
        "path": "/graphql", "status": 200, "viewer_id": None,
        "operation_name": "Typename", "operation_type": "query", "cost": 0}
    assert list(door) == list(stack)  # in the same order
    assert door["message"].startswith("POST /graphql 200 ")


def test_an_access_line_written_without_its_record_is_the_record_s_line():
    """With ``configure``'s handler alone on the way, the access line is written without
    making a LogRecord: it is the line the record would have made, byte for byte (but
    the clock)."""
    out = io.StringIO()
    handler = LineHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root, access_logger = logging.getLogger(), logging.getLogger("learngraph.access")
    saved, level = root.handlers[:], root.level
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    scope = {"type": "http", "method": "POST", "path": "/graphql"}
    state = {"request_id": "req-direct-1", "viewer_id": "7", "graphql": {
        "operation_name": "Caf\u00e9", "operation_type": "query", "cost": 3}}
    try:
        assert line_handler(access_logger, logging.INFO) is handler
        access_line(scope, state, 200, 0.01234)
        # A filter on the way: the record is made, and formatted by the handler.
        access_logger.addFilter(RequestIdFilter())
        assert line_handler(access_logger, logging.INFO) is None
        try:
            access_line(scope, state, 200, 0.01234)
        finally:
            access_logger.removeFilter(access_logger.filters[-1])
    finally:
        root.handlers[:] = saved
        root.setLevel(level)
    direct, made = (re.sub(r'"time":"[^"]*"', '"time":"-"', line)
                    for line in out.getvalue().splitlines())
    assert direct == made
    assert json.loads(direct)["message"] == "POST /graphql 200 12.3ms"
    assert json.loads(direct)["operation_name"] == "Caf\u00e9"


class CountedWrites(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


async def test_the_access_lines_of_one_loop_turn_leave_in_one_write_in_order():
    out = CountedWrites()
    handler = LineHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.write('{"n": 1}')
    handler.write('{"n": 2}')
    assert out.getvalue() == ""  # held until the turn ends
    await asyncio.sleep(0)
    assert (out.getvalue(), out.writes) == ('{"n": 1}\n{"n": 2}\n', 1)
    # A record's line waits for the lines held before it.
    handler.write('{"n": 3}')
    handler.emit(logging.LogRecord("learngraph.x", logging.WARNING, "", 0, "a record", (),
                                   None))
    handler.write('{"n": 4}')
    await asyncio.sleep(0)
    lines = out.getvalue().splitlines()
    assert [json.loads(line).get("n", json.loads(line).get("message")) for line in lines] == [
        1, 2, 3, "a record", 4]
    handler.write('{"n": 5}')
    handler.flush()  # as logging.shutdown does when the process ends
    assert out.getvalue().endswith('{"n": 5}\n')
