"""A fake Stripe API (customers and Checkout sessions), served over real HTTP, and
signed webhook deliveries.

It runs under uvicorn on 127.0.0.1 in a background thread with its own event loop;
the real ``stripe`` library talks to it through ``STRIPE_API_BASE``::

    with FakeStripe() as fake:
        settings = settings.with_overrides(**fake.overrides())
        body, headers = fake.webhook({"type": "invoice.payment_succeeded", ...})
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.threaded import serve_in_thread

SECRET_KEY = "sk_test_fake_0123456789"
WEBHOOK_SECRET = "whsec_fake_0123456789abcdef"
PRICES = {"parent_monthly": "price_parent_monthly", "parent_annual": "price_parent_annual",
          "school_annual": "price_school_annual"}


@dataclass
class RecordedRequest:
    method: str
    path: str
    form: dict[str, str]
    headers: dict[str, str]


class FakeStripe:
    """Fake ``/v1/customers`` and ``/v1/checkout/sessions``."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._faults: deque[tuple[int | None, float | None]] = deque()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port: int | None = None
        self.app = Starlette(routes=[
            Route("/v1/customers", self._customers, methods=["POST"]),
            Route("/v1/checkout/sessions", self._checkout_sessions, methods=["POST"]),
        ])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeStripe:
        self._server, self._thread, self.port = serve_in_thread(self.app, "fake-stripe")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._server = self._thread = None

    def __enter__(self) -> FakeStripe:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- test controls

    def overrides(self) -> dict[str, Any]:
        """Settings fields pointing learngraph at this fake."""
        return {"stripe_secret_key": SECRET_KEY, "stripe_api_base": self.base_url,
                "stripe_webhook_secret": WEBHOOK_SECRET, "stripe_prices": dict(PRICES),
                "stripe_max_retries": 0}

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._faults.clear()

    def fail_next(self, status: int = 500) -> None:
        """Answer the next request with ``status`` (Stripe's error shape)."""
        with self._lock:
            self._faults.append((status, None))

    def slow_next(self, seconds: float) -> None:
        with self._lock:
            self._faults.append((None, seconds))

    def forms(self, path: str) -> list[dict[str, str]]:
        with self._lock:
            return [r.form for r in self.requests if r.path == path]

    @staticmethod
    def webhook(event: dict[str, Any], *, secret: str = WEBHOOK_SECRET,
                timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
        """A delivery of ``event`` as Stripe sends it: the body and its signature header."""
        event = {"object": "event", "api_version": "2025-09-30", "livemode": False,
                 "created": int(time.time()), "id": f"evt_{secrets.token_hex(8)}", **event}
        body = json.dumps(event).encode()
        timestamp = int(time.time()) if timestamp is None else timestamp
        signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + body,
                             hashlib.sha256).hexdigest()
        return body, {"Stripe-Signature": f"t={timestamp},v1={signature}",
                      "Content-Type": "application/json"}

    # ----------------------------------------------------------------- endpoints

    async def _record(self, request: Request) -> Response | None:
        form = dict(parse_qsl((await request.body()).decode()))
        with self._lock:
            self.requests.append(RecordedRequest(
                method=request.method, path=request.url.path, form=form,
                headers={k.lower(): v for k, v in request.headers.items()}))
            fault = self._faults.popleft() if self._faults else None
        if request.headers.get("authorization") != f"Bearer {SECRET_KEY}":
            return JSONResponse({"error": {"type": "invalid_request_error",
                                           "message": "Invalid API Key provided"}},
                                status_code=401)
        if fault is None:
            return None
        status, delay = fault
        if delay:
            await asyncio.sleep(delay)
            return None
        return JSONResponse({"error": {"type": "api_error", "message": "Fake failure"}},
                            status_code=status)

    async def _customers(self, request: Request) -> Response:
        failure = await self._record(request)
        if failure is not None:
            return failure
        form = self.requests[-1].form
        return JSONResponse({"id": f"cus_{secrets.token_hex(7)}", "object": "customer",
                             "email": form.get("email"), "name": form.get("name"),
                             "metadata": {"user_id": form.get("metadata[user_id]")}})

    async def _checkout_sessions(self, request: Request) -> Response:
        failure = await self._record(request)
        if failure is not None:
            return failure
        form = self.requests[-1].form
        session_id = f"cs_test_{secrets.token_hex(12)}"
        return JSONResponse({"id": session_id, "object": "checkout.session",
                             "mode": form.get("mode"), "customer": form.get("customer"),
                             "url": f"https://checkout.stripe.com/c/pay/{session_id}"})
