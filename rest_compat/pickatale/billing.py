"""Billing (no documented port), ``/api/billing``.

``subscription`` and ``checkout`` take the signed-in account's session (teachers,
parents, school admins; any other role is 403); ``checkout`` requires an
``Idempotency-Key`` (§39.4, ``core.idempotency``: a retry with the key gets the same
checkout URL instead of a second Stripe session); ``entitlement`` takes only
``X-Internal-Key`` (or a platform admin); the webhook takes neither and is trusted
only through its ``Stripe-Signature``. Rules are in ``resolvers/billing.py`` and
``resolvers/entitlements.py``.

Choices where the reference is silent:
- Without Stripe settings (``STRIPE_SECRET_KEY``, a price for the plan,
  ``STRIPE_WEBHOOK_SECRET`` for the webhook) the answer is 503
  ``billing_not_configured``; Stripe failing or not answering is 502/504
  ``payment_provider_*``.
- The webhook's body is at most 512 KiB (413 past it). A bad or stale signature is 400
  ``invalid_signature``; a verified event answers ``{"received": true}`` whether it was
  applied, already applied before, or of a type we do not act on.
- ``entitlement`` with a ``user_id`` nobody has is ``allowed: false``, not 404.
"""

from __future__ import annotations

import uuid

from starlette.responses import Response

from core.errors import DomainError
from resolvers import billing, entitlements
from resolvers.billing import CheckoutIn
from resolvers.reading import Input
from rest_compat import returns as out
from rest_compat.base import FaceRequest, JSONResponse, Route, iso

MAX_WEBHOOK_BYTES = 512 * 1024


class EntitlementQuery(Input):
    user_id: uuid.UUID


async def subscription(req: FaceRequest) -> Response:
    state = await billing.get_subscription(req.ctx)
    return JSONResponse({"state": state.state, "tier": state.tier,
                         "trial_ends_at": iso(state.trial_ends_at),
                         "current_period_end": iso(state.current_period_end),
                         "features": list(state.features)})


async def checkout(req: FaceRequest) -> Response:
    url = await billing.checkout(req.ctx, order=req.body)
    return JSONResponse({"checkout_url": url})


async def webhook(req: FaceRequest) -> Response:
    length = req.request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_WEBHOOK_BYTES:
        raise DomainError("Request body too large", status=413)
    payload = await req.request.body()
    if len(payload) > MAX_WEBHOOK_BYTES:
        raise DomainError("Request body too large", status=413)
    await billing.receive_webhook(req.ctx, payload=payload,
                                  signature=req.request.headers.get("stripe-signature"))
    return JSONResponse({"received": True})


async def entitlement(req: FaceRequest) -> Response:
    result = await entitlements.check(req.ctx, subject_id=req.params.user_id)
    return JSONResponse({"allowed": result.allowed, "tier": result.tier,
                         "expires_at": iso(result.expires_at),
                         "features": list(result.features)})


_SESSION = {401: "Not signed in", 403: "Role without a plan"}

ROUTES = [
    Route("GET", "/subscription", subscription, credential="session",
          summary="The account's subscription: state, tier, trial and period ends, features",
          responses={200: "Subscription", **_SESSION}),
    Route("POST", "/checkout", checkout, credential="session", body=CheckoutIn,
          idempotency=True,
          summary="Start a Stripe Checkout session for a plan",
          responses={200: "Checkout URL", 400: "Malformed body or no Idempotency-Key",
                     **_SESSION, 409: "Already subscribed, or the key's request is running",
                     422: "Invalid plan or student count, or the key used for another body",
                     502: "Stripe failed", 503: "Billing not configured",
                     504: "Stripe did not answer"}),
    Route("POST", "/webhook", webhook,
          summary="Stripe events (signature verified; each applied once)",
          responses={200: "Received", 400: "Invalid signature", 413: "Body too large",
                     503: "Webhooks not configured"},
          returns={200: out.obj(received=out.BOOLEAN)}),
    Route("GET", "/entitlement", entitlement, auth=True, query=EntitlementQuery,
          summary="Whether an account or learner may use the paid platform",
          responses={200: "Entitlement", 400: "No user_id", 401: "No key",
                     403: "Not a service", 422: "Invalid user_id"}),
]
