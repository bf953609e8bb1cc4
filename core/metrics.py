"""Prometheus metrics of one process, served at ``GET /metrics``.

Each ``Services`` owns a ``Metrics`` with its own registry (never the library's global
one), so several instances in one process (tests, a face on its own port beside the
main app) each report their own. Values that live elsewhere (the database pool, the
job queue, open subscriptions) are read when scraped.
"""

from __future__ import annotations

import hmac
import time
import weakref
from bisect import bisect_left
from collections.abc import Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import metrics as prometheus_metrics
from prometheus_client.metrics_core import Metric
from prometheus_client.utils import floatToGoString
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

# Operation names are chosen by clients: past this many distinct ones, the rest share one
# label value so that a client cannot grow the series without bound.
MAX_OPERATION_NAMES = 500
OTHER = "other"
LATENCY_BUCKETS = (.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60)
JOB_STATUSES = ("queued", "running", "done", "failed")


class Tally:
    """One series of a ``CountedFamily`` counter."""

    __slots__ = ("created", "value")

    def __init__(self) -> None:
        self.value = 0.0
        self.created = time.time()

    def inc(self, amount: float = 1) -> None:
        self.value += amount


class Timing:
    """One series of a ``CountedFamily`` histogram over ``LATENCY_BUCKETS``: each
    observation counted in the first bucket whose bound it does not pass (the last is
    +Inf), as prometheus_client's Histogram counts it."""

    __slots__ = ("counts", "created", "sum")

    def __init__(self) -> None:
        self.counts = [0] * (len(LATENCY_BUCKETS) + 1)
        self.sum = 0.0
        self.created = time.time()

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.sum += seconds


class CountedFamily:
    """A labelled counter or latency histogram counted on every request, without
    prometheus_client's lock and checks per call (two families count every request and
    two every GraphQL operation). Its series are counted on the event loop's thread
    only, where a request is observed; a scrape reads them on that thread too. It is
    exposed exactly as prometheus_client's Counter or Histogram of the same name and
    labels would be (``_total``/``_bucket``, ``_count``, ``_sum``, ``_created``)."""

    def __init__(self, name: str, documentation: str, labelnames: tuple[str, ...], *,
                 histogram: bool, registry: CollectorRegistry) -> None:
        self.name = name
        self.documentation = documentation
        self.labelnames = labelnames
        self.histogram = histogram
        self.series: dict[tuple[str, ...], Tally | Timing] = {}
        registry.register(self)

    def labels(self, *values: str) -> Any:
        series = self.series.get(values)
        if series is None:
            series = self.series[values] = Timing() if self.histogram else Tally()
        return series

    def describe(self) -> list[Metric]:
        return [Metric(self.name, self.documentation,
                       "histogram" if self.histogram else "counter")]

    def collect(self) -> Iterator[Metric]:
        metric = self.describe()[0]
        created = getattr(prometheus_metrics, "_use_created", True)
        name = self.name
        for values, series in list(self.series.items()):
            labels = dict(zip(self.labelnames, values, strict=True))
            if isinstance(series, Tally):
                metric.add_sample(name + "_total", labels, series.value)
            else:
                total = 0.0
                for bound, count in zip((*LATENCY_BUCKETS, float("inf")), series.counts,
                                        strict=True):
                    total += count
                    metric.add_sample(name + "_bucket",
                                      {**labels, "le": floatToGoString(bound)}, total)
                metric.add_sample(name + "_count", labels, total)
                metric.add_sample(name + "_sum", labels, series.sum)
            if created:
                metric.add_sample(name + "_created", labels, series.created)
        yield metric


class Metrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.requests = CountedFamily(
            "learngraph_http_requests", "HTTP requests and WebSocket connections, by route.",
            ("route", "method", "status"), histogram=False, registry=registry)
        self.request_seconds = CountedFamily(
            "learngraph_http_request_duration_seconds", "Time to answer, by route.",
            ("route", "method"), histogram=True, registry=registry)
        self.operations = CountedFamily(
            "learngraph_graphql_operations", "GraphQL operations run, by name and type.",
            ("operation", "type"), histogram=False, registry=registry)
        self.operation_seconds = CountedFamily(
            "learngraph_graphql_operation_duration_seconds",
            "Time to execute a GraphQL operation (a subscription: until it ends).",
            ("operation", "type"), histogram=True, registry=registry)
        self.errors = Counter(
            "learngraph_errors", "Errors answered, by code (GraphQL extensions.code; "
            "HTTP_<status> for other error answers).", ["code"], registry=registry)
        self.websockets = Gauge("learngraph_websockets_open", "Open WebSocket connections.",
                                registry=registry)
        self.subscriptions = Gauge("learngraph_graphql_subscriptions_active",
                                   "GraphQL subscriptions running on open WebSockets.",
                                   registry=registry)
        self.pool_in_use = Gauge("learngraph_db_pool_connections_in_use",
                                 "Database connections checked out of the app's pool.",
                                 registry=registry)
        self.job_queue = Gauge("learngraph_jobs_in_queue", "Background jobs, by status.",
                               ["status"], registry=registry)
        self.jobs = Counter("learngraph_jobs_finished", "Job attempts finished, by outcome.",
                            ["kind", "outcome"], registry=registry)
        self.llm_calls = Counter("learngraph_llm_calls", "Model calls, by provider and outcome.",
                                 ["provider", "outcome"], registry=registry)
        self.llm_tokens = Counter("learngraph_llm_tokens", "Model tokens, by provider.",
                                  ["provider", "direction"], registry=registry)
        self.llm_seconds = Histogram("learngraph_llm_call_duration_seconds",
                                     "Time of a model call (a stream: until its end).",
                                     ["provider"], buckets=LATENCY_BUCKETS, registry=registry)
        self._operation_names: set[str] = set()
        # The series of each (route, method, status) seen: every request counts in two.
        self._request_series: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._operation_series: dict[tuple[str, str], tuple[Any, Any]] = {}
        self._ws_handlers: weakref.WeakSet = weakref.WeakSet()

    def operation_label(self, name: str | None) -> str:
        if not name:
            return "anonymous"
        name = name[:100]
        if name not in self._operation_names:
            if len(self._operation_names) >= MAX_OPERATION_NAMES:
                return OTHER
            self._operation_names.add(name)
        return name

    def watch_subscriptions(self, handler: Any) -> None:
        """Count ``handler``'s running subscriptions while it lives."""
        self._ws_handlers.add(handler)

    def _running_subscriptions(self) -> int:
        count = 0
        for handler in list(self._ws_handlers):
            running = getattr(handler, "operations", None)
            if running is None:
                running = getattr(handler, "tasks", {})
            count += len(running)
        return count

    async def refresh(self, services: Any) -> None:
        """Read the values kept elsewhere, just before a scrape."""
        self.subscriptions.set(self._running_subscriptions())
        self.pool_in_use.set(services.db.engine.sync_engine.pool.checkedout())
        async with services.db.session() as session:
            counts = dict((await session.execute(text(
                "SELECT status, count(*) FROM jobs GROUP BY status"))).all())
        for status in JOB_STATUSES:
            self.job_queue.labels(status).set(counts.get(status, 0))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def request_series(self, route: str, method: str, status: int) -> tuple[Any, Any]:
        """The request counter and duration histogram of one route, method and status
        (route templates, methods and statuses are few: the cache stays small)."""
        key = (route, method, status)
        series = self._request_series.get(key)
        if series is None:
            series = self._request_series[key] = (
                self.requests.labels(route, method, str(status)),
                self.request_seconds.labels(route, method))
        return series

    def operation_series(self, label: str, kind: str) -> tuple[Any, Any]:
        """The operation counter and duration histogram of one operation label and type
        (labels are bounded by ``operation_label``: the cache is too)."""
        key = (label, kind)
        series = self._operation_series.get(key)
        if series is None:
            series = self._operation_series[key] = (
                self.operations.labels(label, kind), self.operation_seconds.labels(label, kind))
        return series


def route_label(scope: dict) -> str:
    """The route template that served a request (bounded: never the raw path)."""
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


def metrics_route() -> Route:
    async def metrics(request: Request) -> Response:
        services = request.app.state.services
        expected = services.settings.metrics_token
        if expected:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
                return JSONResponse({"error": "A valid metrics token is required"},
                                    status_code=401,
                                    headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        await services.metrics.refresh(services)
        return Response(services.metrics.exposition(),
                        headers={"Content-Type": CONTENT_TYPE_LATEST,
                                 "Cache-Control": "no-store"})

    return Route("/metrics", metrics, methods=["GET"])
