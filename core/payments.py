"""Stripe through the official ``stripe`` library: the API client for checkout, and the
webhook signature check.

The client talks to ``STRIPE_API_BASE`` when it is set (a Stripe-compatible server:
stripe-mock, a test double), else to Stripe. Without ``STRIPE_SECRET_KEY`` checkout
answers 503 ``billing_not_configured``; without ``STRIPE_WEBHOOK_SECRET`` so does a
signed webhook delivery (one without a ``Stripe-Signature`` is 400 first). The
library's own failures become ``Upstream`` errors (502, or 504 when Stripe did not
answer in time), never a 500.
"""

from __future__ import annotations

from typing import Any

import stripe

from core.config import Settings
from core.errors import DomainError, Upstream

TIMEOUT_SECONDS = 15.0
WEBHOOK_TOLERANCE_SECONDS = 300
_CLIENTS: dict[tuple[str, str | None, int], stripe.StripeClient] = {}


class NotConfiguredBilling(DomainError):
    """Billing needs Stripe settings this deployment does not have."""

    code = "BILLING_NOT_CONFIGURED"
    status = 503


class BadSignature(DomainError):
    """A webhook whose ``Stripe-Signature`` does not verify (or is too old)."""

    code = "INVALID_SIGNATURE"
    status = 400


def client(settings: Settings) -> stripe.StripeClient:
    """The Stripe client of these settings (one per key and base, reused)."""
    if not settings.stripe_secret_key:
        raise NotConfiguredBilling("Billing is not configured on this server")
    key = (settings.stripe_secret_key, settings.stripe_api_base, settings.stripe_max_retries)
    if key not in _CLIENTS:
        bases: Any = {"api": settings.stripe_api_base} if settings.stripe_api_base else None
        _CLIENTS[key] = stripe.StripeClient(
            settings.stripe_secret_key, base_addresses=bases,
            max_network_retries=settings.stripe_max_retries,
            http_client=stripe.HTTPXClient(timeout=TIMEOUT_SECONDS))
    return _CLIENTS[key]


async def call(request):
    """Await a Stripe request; its failures as ``Upstream`` errors."""
    try:
        return await request
    except stripe.APIConnectionError as exc:
        timed_out = "timed out" in str(exc).lower() or "timeout" in str(exc).lower()
        raise Upstream("The payment provider did not answer", status=504 if timed_out else 502,
                       code="PAYMENT_PROVIDER_UNAVAILABLE") from None
    except stripe.RateLimitError:
        raise Upstream("The payment provider is busy; try again shortly", retry_after=5,
                       code="PAYMENT_PROVIDER_UNAVAILABLE") from None
    except stripe.StripeError as exc:
        status = getattr(exc, "http_status", None)
        raise Upstream(f"The payment provider refused the request ({status or 'error'})",
                       code="PAYMENT_PROVIDER_ERROR") from None


def verify_event(settings: Settings, payload: bytes, signature: str | None) -> dict:
    """The event of a webhook delivery once its signature verifies, as a plain dict."""
    if not signature:  # bad input is refused as such, configured or not
        raise BadSignature("Missing Stripe-Signature header")
    if not settings.stripe_webhook_secret:
        raise NotConfiguredBilling("Stripe webhooks are not configured on this server")
    try:
        event = stripe.Webhook.construct_event(payload, signature,
                                               settings.stripe_webhook_secret,
                                               tolerance=WEBHOOK_TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError:
        raise BadSignature("The Stripe-Signature does not match the payload, or is too "
                           "old") from None
    except ValueError:
        raise BadSignature("The payload is not a Stripe event") from None
    return event.to_dict()
