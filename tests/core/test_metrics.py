"""GET /metrics: scraped and parsed as Prometheus text, values that move with real
requests, and the bearer token when one is configured."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from core.jobs import JobWorker, PermanentFailure, enqueue
from core.metrics import LATENCY_BUCKETS, CountedFamily
from tests.fixtures import bearer_for, create_user, start_instance
from tests.ws import graphql_ws

PING = "query Ping { viewer { isAuthenticated } }"


def parse(body: str) -> dict[tuple[str, tuple], float]:
    """Every sample, keyed by its name and sorted labels."""
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(body) for sample in family.samples}


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_counted_families_are_exposed_as_prometheus_client_exposes_its_own():
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    counted = CountedFamily("t_requests", "Requests.", ("route", "status"), histogram=False,
                            registry=ours)
    timed = CountedFamily("t_seconds", "Time.", ("route",), histogram=True, registry=ours)
    counter = Counter("t_requests", "Requests.", ["route", "status"], registry=theirs)
    histogram = Histogram("t_seconds", "Time.", ["route"], buckets=LATENCY_BUCKETS,
                          registry=theirs)
    # Every bound itself, between two bounds, under the first, past the last.
    observed = [0.0, 0.003, *LATENCY_BUCKETS, 0.07, 0.3, 61.5, 120.0]
    for route, status in [("/graphql", "200"), ("/api/health", "200"), ("/graphql", "400")]:
        counted.labels(route, status).inc()
        counter.labels(route, status).inc()
    counted.labels("/graphql", "200").inc()
    counter.labels("/graphql", "200").inc()
    for seconds in observed:
        timed.labels("/graphql").observe(seconds)
        histogram.labels("/graphql").observe(seconds)
    timed.labels("/api/health").observe(0.002)
    histogram.labels("/api/health").observe(0.002)

    def without_created(registry: CollectorRegistry) -> list[str]:
        return [line for line in generate_latest(registry).decode().splitlines()
                if "_created" not in line]

    assert without_created(ours) == without_created(theirs)
    created = [line for line in generate_latest(ours).decode().splitlines()
               if "_created" in line and not line.startswith("#")]
    assert len(created) == 5  # one per series, as prometheus_client writes them


@pytest.fixture
async def instance(database_url, clean_db, fake_anthropic):
    """An instance of our own (its own registry), so counts start from nothing."""
    running = await start_instance(database_url, jobs_enabled=False,
                                   anthropic_base_url=fake_anthropic.base_url)
    async with httpx.AsyncClient(base_url=running.base_url, timeout=10) as http:
        yield running, http
    await running.stop()


async def scrape(http: httpx.AsyncClient) -> dict:
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return parse(response.text)


async def test_requests_operations_and_errors_are_counted(instance):
    _, http = instance
    before = await scrape(http)
    for _ in range(3):
        answer = await http.post("/graphql", json={"query": PING})
        assert answer.json()["data"] == {"viewer": {"isAuthenticated": False}}
    invalid = await http.post("/graphql", json={"query": "query Broken { nosuchfield }"})
    assert invalid.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    face = await http.get("/api/health")
    missing = await http.get("/api/v1/courses/not-a-course")
    assert face.status_code == 200 and missing.status_code >= 400
    after = await scrape(http)

    assert value(after, "learngraph_graphql_operations_total", operation="Ping",
                 type="query") - value(before, "learngraph_graphql_operations_total",
                                       operation="Ping", type="query") == 3
    assert value(after, "learngraph_graphql_operation_duration_seconds_count",
                 operation="Ping", type="query") == 3
    assert value(after, "learngraph_http_requests_total", route="/graphql", method="POST",
                 status=str(invalid.status_code)) >= 1
    assert value(after, "learngraph_http_requests_total", route="/api/health", method="GET",
                 status="200") == 1
    assert value(after, "learngraph_http_request_duration_seconds_count", route="/api/health",
                 method="GET") == 1
    assert value(after, "learngraph_errors_total", code="GRAPHQL_VALIDATION_FAILED") == 1
    assert value(after, "learngraph_errors_total",
                 code=f"HTTP_{missing.status_code}") == 1
    # The route template labels the face's route, never the raw path.
    assert not any("not-a-course" in str(key) for key in after)
    assert value(after, "learngraph_db_pool_connections_in_use") >= 0
    assert ("learngraph_db_pool_connections_in_use", ()) in after


async def test_planned_reads_are_counted_too(instance):
    _, http = instance
    courses = "query Courses { courses(first: 5) { edges { node { id } } } }"
    for _ in range(3):  # the first teaches the planner; the others answer from the plan
        answer = await http.post("/graphql", json={"query": courses})
        assert answer.json()["data"] == {"courses": {"edges": []}}
    after = await scrape(http)
    assert value(after, "learngraph_graphql_operations_total", operation="Courses",
                 type="query") == 3


async def test_websockets_and_subscriptions_are_gauged(instance):
    running, http = instance
    services = running.app.state.services
    headers = await bearer_for(services, await create_user(services))
    ws_url = running.base_url.replace("http://", "ws://") + "/graphql"
    async with graphql_ws(ws_url) as ws:
        await ws.init(headers)
        await ws.subscribe("1", "subscription Events { viewerEvents { kind } }")
        await ws.subscribe("2", "subscription Wrong { nosuchfield }")
        assert (await ws.next_payload("2"))["errors"][0]["extensions"]["code"] == (
            "GRAPHQL_VALIDATION_FAILED")
        for _ in range(100):
            during = await scrape(http)
            if value(during, "learngraph_graphql_subscriptions_active"):
                break
            await asyncio.sleep(0.02)
    # A subscription is an operation too, counted when it ends (here with its socket).
    events = {"operation": "Events", "type": "subscription"}
    for _ in range(100):
        after = await scrape(http)
        if value(after, "learngraph_websockets_open") == 0 and value(
                after, "learngraph_graphql_operations_total", **events):
            break
        await asyncio.sleep(0.02)
    assert value(after, "learngraph_graphql_operations_total", **events) == 1
    assert value(after, "learngraph_graphql_operations_total", operation="Wrong",
                 type="subscription") == 1
    assert value(after, "learngraph_errors_total", code="GRAPHQL_VALIDATION_FAILED") == 1
    assert value(during, "learngraph_websockets_open") == 1
    assert value(during, "learngraph_graphql_subscriptions_active") == 1
    assert value(after, "learngraph_websockets_open") == 0
    assert value(after, "learngraph_graphql_subscriptions_active") == 0
    assert value(after, "learngraph_http_requests_total", route="/graphql", method="WS",
                 status="101") == 1


async def test_job_queue_depth_and_outcomes(instance):
    running, http = instance
    services = running.app.state.services

    async def works(_services, payload):
        return None

    async def fails(_services, payload):
        raise PermanentFailure("cannot")

    async with services.db.transaction() as session:
        await enqueue(session, "test.metrics.ok", {})
        await enqueue(session, "test.metrics.bad", {})
        await enqueue(session, "test.metrics.later", {},
                      run_at=datetime.now(UTC) + timedelta(hours=1))
    queued = await scrape(http)
    worker = JobWorker(services, handlers={"test.metrics.ok": works,
                                           "test.metrics.bad": fails}, poll_seconds=0.05)
    await worker.start()
    try:
        for _ in range(300):
            after = await scrape(http)
            if sum(value(after, "learngraph_jobs_finished_total", kind=kind, outcome=outcome)
                   for kind, outcome in (("test.metrics.ok", "succeeded"),
                                         ("test.metrics.bad", "failed"))) == 2:
                break
            await asyncio.sleep(0.05)
    finally:
        await worker.stop()
    assert value(queued, "learngraph_jobs_in_queue", status="queued") == 3
    assert value(after, "learngraph_jobs_in_queue", status="done") == 1
    assert value(after, "learngraph_jobs_in_queue", status="failed") == 1
    assert value(after, "learngraph_jobs_finished_total", kind="test.metrics.ok",
                 outcome="succeeded") == 1
    assert value(after, "learngraph_jobs_finished_total", kind="test.metrics.bad",
                 outcome="failed") == 1


async def test_model_calls_tokens_and_latency_by_provider(instance, fake_anthropic):
    running, http = instance
    fake_anthropic.reply_text("Hello there")
    llm = running.app.state.services.llm
    message = await llm.complete(api_key="sk-ant-test", system=None,
                                 messages=[{"role": "user", "content": "hi"}])
    fake_anthropic.reply_error(529)
    with pytest.raises(Exception):  # noqa: B017 - mapped to the gateway's domain error
        await llm.complete(api_key="sk-ant-test", system=None,
                           messages=[{"role": "user", "content": "hi"}])
    after = await scrape(http)
    assert value(after, "learngraph_llm_calls_total", provider="anthropic", outcome="ok") == 1
    assert value(after, "learngraph_llm_calls_total", provider="anthropic",
                 outcome="error") == 1
    assert value(after, "learngraph_llm_tokens_total", provider="anthropic",
                 direction="input") == message.usage.input_tokens > 0
    assert value(after, "learngraph_llm_tokens_total", provider="anthropic",
                 direction="output") == message.usage.output_tokens > 0
    assert value(after, "learngraph_llm_call_duration_seconds_count", provider="anthropic") == 2


async def test_a_metrics_token_is_required_when_set(database_url, clean_db):
    running = await start_instance(database_url, jobs_enabled=False,
                                   metrics_token="scrape-me-0123456789")
    try:
        async with httpx.AsyncClient(base_url=running.base_url, timeout=10) as http:
            anonymous = await http.get("/metrics")
            wrong = await http.get("/metrics", headers={"Authorization": "Bearer nope"})
            right = await http.get("/metrics",
                                   headers={"Authorization": "Bearer scrape-me-0123456789"})
    finally:
        await running.stop()
    assert (anonymous.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
    assert anonymous.headers["www-authenticate"] == 'Bearer realm="metrics"'
    assert "learngraph_http_requests_total" in right.text
