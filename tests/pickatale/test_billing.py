"""Billing: subscription state and features, Stripe checkout through the real ``stripe``
library against a fake Stripe, signed webhooks applied once, entitlement checks."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from strawberry import relay

from models.billing import BillingSubscription, StripeEvent
from models.user import User
from tests.fakes.stripe_server import FakeStripe
from tests.fixtures import bearer_for, create_user, error_codes, gql, gql_raw
from tests.pickatale.helpers import KEY, assert_error, new_key

PERIOD_END = int(datetime(2027, 1, 7, tzinfo=UTC).timestamp())


async def _account(services, role: str, email: str | None = None):
    user = await create_user(services, email=email or f"{role.lower()}@example.com",
                             roles=[role])
    return user, await bearer_for(services, user)


async def _subscription(http, headers) -> dict:
    response = await http.get("/api/billing/subscription", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _deliver(http, event: dict, **kwargs):
    body, headers = FakeStripe.webhook(event, **kwargs)
    return await http.post("/api/billing/webhook", content=body, headers=headers)


def _invoice(customer: str, kind: str = "invoice.payment_succeeded", **extra) -> dict:
    return {"type": kind, "data": {"object": {
        "object": "invoice", "id": "in_1", "customer": customer, "subscription": "sub_1",
        "lines": {"data": [{"period": {"start": PERIOD_END - 86400 * 30,
                                       "end": PERIOD_END}}]}}}, **extra}


async def _paid_parent(http, services, fake_stripe) -> tuple[User, dict, str]:
    """A parent who went through checkout; their Stripe customer id."""
    user, headers = await _account(services, "PARENT")
    response = await http.post("/api/billing/checkout", json={"plan": "parent_monthly"},
                               headers={**headers, **new_key()})
    assert response.status_code == 200, response.text
    async with services.db.session() as session:
        customer = (await session.get(BillingSubscription, user.id)).stripe_customer_id
    return user, headers, customer


# ----------------------------------------------------------------- subscription


async def test_a_new_account_is_on_its_trial_until_it_runs_out(client, services):
    user, headers = await _account(services, "TEACHER")
    body = await _subscription(client, headers)
    ends = user.created_at + timedelta(days=14)
    assert body == {"state": "trialing", "tier": "trial",
                    "trial_ends_at": ends.isoformat().replace("+00:00", "Z"),
                    "current_period_end": None,
                    "features": ["full_library", "learner_bot", "reports", "interventions"]}
    async with services.db.transaction() as session:
        await session.execute(update(User).where(User.id == user.id).values(
            created_at=func.now() - timedelta(days=15)))
    body = await _subscription(client, headers)
    assert (body["state"], body["tier"], body["features"]) == ("expired", "free", [])


async def test_subscription_needs_a_paying_role_and_a_session(client, services):
    assert_error(await client.get("/api/billing/subscription"), 401, "unauthenticated")
    _, learner = await _account(services, "STUDENT")
    body = assert_error(await client.get("/api/billing/subscription", headers=learner),
                        403, "forbidden")
    assert body["details"]["required_role"] == ["parent", "school_admin", "teacher"]
    # The internal key is not a session: this route takes only uc_session.
    assert_error(await client.get("/api/billing/subscription", headers=KEY), 401,
                 "unauthenticated")


# ----------------------------------------------------------------- checkout


async def test_checkout_without_stripe_settings_is_a_clear_503(client, services):
    _, headers = await _account(services, "PARENT")
    body = assert_error(await client.post("/api/billing/checkout",
                                          json={"plan": "parent_monthly"},
                                          headers={**headers, **new_key()}),
                        503, "billing_not_configured")
    assert "not configured" in body["message"]


async def test_checkout_creates_one_customer_and_a_session_per_call(stripe_client, services,
                                                                    fake_stripe):
    user, headers = await _account(services, "PARENT", "pa@example.com")
    urls = []
    for _ in range(2):
        response = await stripe_client.post("/api/billing/checkout",
                                            json={"plan": "parent_annual"},
                                            headers={**headers, **new_key()})
        assert response.status_code == 200, response.text
        assert set(response.json()) == {"checkout_url"}
        urls.append(response.json()["checkout_url"])
    assert urls[0] != urls[1] and urls[0].startswith("https://checkout.stripe.com/c/pay/cs_")
    [customer] = fake_stripe.forms("/v1/customers")
    assert customer["email"] == "pa@example.com"
    assert customer["metadata[user_id]"] == str(user.id)
    sessions = fake_stripe.forms("/v1/checkout/sessions")
    assert len(sessions) == 2
    first = sessions[0]
    assert first["mode"] == "subscription"
    assert first["line_items[0][price]"] == "price_parent_annual"
    assert first["line_items[0][quantity]"] == "1"
    assert first["subscription_data[metadata][plan]"] == "parent_annual"
    assert first["client_reference_id"] == str(user.id)
    async with services.db.session() as session:
        row = await session.get(BillingSubscription, user.id)
    assert row.stripe_customer_id == first["customer"] and row.state == "trialing"
    assert row.plan == "parent_annual"


async def test_school_checkout_is_per_student_and_for_staff(stripe_client, services,
                                                            fake_stripe):
    _, teacher = await _account(services, "TEACHER")
    response = await stripe_client.post("/api/billing/checkout", headers={**teacher, **new_key()},
                                        json={"plan": "school_annual", "student_count": 30})
    assert response.status_code == 200, response.text
    assert fake_stripe.forms("/v1/checkout/sessions")[-1]["line_items[0][quantity]"] == "30"
    _, parent = await _account(services, "PARENT")
    assert_error(await stripe_client.post("/api/billing/checkout", headers={**parent, **new_key()},
                                          json={"plan": "school_annual", "student_count": 3}),
                 403, "forbidden")


async def test_checkout_refuses_bad_input_in_the_documented_shape(stripe_client, services):
    _, headers = await _account(services, "TEACHER")
    cases = [({"plan": "gold"}, 422), ({"plan": "school_annual"}, 422),
             ({"plan": "school_annual", "student_count": 0}, 422),
             ({"plan": "school_annual", "student_count": 5001}, 422),
             ({"plan": "school_annual", "student_count": 2**70}, 422), ({}, 400)]
    for body, status in cases:
        response = await stripe_client.post("/api/billing/checkout", json=body,
                                            headers={**headers, **new_key()})
        assert_error(response, status, "validation_failed" if status == 422 else "bad_request")
    response = await stripe_client.post("/api/billing/checkout", content=b"{nope",
                                        headers={**headers, **new_key(),
                                                 "Content-Type": "application/json"})
    assert_error(response, 400, "bad_request")


async def test_stripe_failures_are_502_and_nothing_is_kept(stripe_client, services,
                                                           fake_stripe):
    user, headers = await _account(services, "PARENT")
    fake_stripe.fail_next(500)
    body = assert_error(await stripe_client.post("/api/billing/checkout",
                                                 headers={**headers, **new_key()},
                                                 json={"plan": "parent_monthly"}),
                        502, "payment_provider_error")
    assert "sk_test" not in str(body)
    async with services.db.session() as session:
        assert await session.get(BillingSubscription, user.id) is None


async def test_a_paid_account_cannot_check_out_again(stripe_client, services, fake_stripe):
    _, headers, customer = await _paid_parent(stripe_client, services, fake_stripe)
    assert (await _deliver(stripe_client, _invoice(customer))).status_code == 200
    assert_error(await stripe_client.post("/api/billing/checkout", headers={**headers, **new_key()},
                                          json={"plan": "parent_annual"}),
                 409, "already_subscribed")


# ----------------------------------------------------------------- webhook


async def test_signed_events_move_the_subscription(stripe_client, services, fake_stripe):
    _, headers, customer = await _paid_parent(stripe_client, services, fake_stripe)
    response = await _deliver(stripe_client, _invoice(customer))
    assert response.status_code == 200 and response.json() == {"received": True}
    body = await _subscription(stripe_client, headers)
    assert body["state"] == "active" and body["tier"] == "parent"
    assert body["current_period_end"] == "2027-01-07T00:00:00Z"
    assert body["features"] == ["full_library", "learner_bot", "reports"]

    await _deliver(stripe_client, _invoice(customer, "invoice.payment_failed"))
    body = await _subscription(stripe_client, headers)
    assert (body["state"], body["tier"]) == ("past_due", "parent")  # until the period ends

    await _deliver(stripe_client, {"type": "customer.subscription.updated", "data": {
        "object": {"object": "subscription", "id": "sub_1", "customer": customer,
                   "status": "active", "metadata": {"plan": "parent_annual"},
                   "items": {"data": [{"quantity": 1,
                                       "current_period_end": PERIOD_END + 86400 * 365}]}}}})
    body = await _subscription(stripe_client, headers)
    assert (body["state"], body["current_period_end"]) == ("active", "2028-01-07T00:00:00Z")

    await _deliver(stripe_client, {"type": "customer.subscription.deleted", "data": {
        "object": {"object": "subscription", "id": "sub_1", "customer": customer,
                   "status": "canceled"}}})
    body = await _subscription(stripe_client, headers)
    assert (body["state"], body["tier"], body["features"]) == ("canceled", "free", [])


async def test_each_event_is_applied_once(stripe_client, services, fake_stripe):
    _, headers, customer = await _paid_parent(stripe_client, services, fake_stripe)
    failed_body, failed_headers = FakeStripe.webhook(_invoice(customer,
                                                              "invoice.payment_failed"))
    responses = await asyncio.gather(*[stripe_client.post(
        "/api/billing/webhook", content=failed_body, headers=failed_headers)
        for _ in range(5)])
    assert [r.status_code for r in responses] == [200] * 5
    await _deliver(stripe_client, _invoice(customer))
    # A redelivery of the earlier failure changes nothing: the account stays active.
    again = await stripe_client.post("/api/billing/webhook", content=failed_body,
                                     headers=failed_headers)
    assert again.status_code == 200
    assert (await _subscription(stripe_client, headers))["state"] == "active"
    async with services.db.session() as session:
        events = (await session.execute(select(StripeEvent.type, StripeEvent.applied)
                                        .order_by(StripeEvent.received_at))).all()
    assert events == [("invoice.payment_failed", True), ("invoice.payment_succeeded", True)]


async def test_an_older_event_arriving_late_changes_nothing(stripe_client, services,
                                                           fake_stripe):
    _, headers, customer = await _paid_parent(stripe_client, services, fake_stripe)
    now = int(time.time())
    await _deliver(stripe_client, _invoice(customer, created=now))
    await _deliver(stripe_client, _invoice(customer, "invoice.payment_failed",
                                           created=now - 60))
    assert (await _subscription(stripe_client, headers))["state"] == "active"


async def test_signatures_tampered_stale_or_missing_are_400(stripe_client, services,
                                                            fake_stripe):
    _, headers, customer = await _paid_parent(stripe_client, services, fake_stripe)
    body, signed = FakeStripe.webhook(_invoice(customer))
    tampered = body.replace(b"in_1", b"in_2")
    assert_error(await stripe_client.post("/api/billing/webhook", content=tampered,
                                          headers=signed), 400, "invalid_signature")
    stale_body, stale = FakeStripe.webhook(_invoice(customer),
                                           timestamp=int(time.time()) - 301)
    assert_error(await stripe_client.post("/api/billing/webhook", content=stale_body,
                                          headers=stale), 400, "invalid_signature")
    recent_body, recent = FakeStripe.webhook(_invoice(customer, "invoice.payment_failed"),
                                             timestamp=int(time.time()) - 250)
    assert (await stripe_client.post("/api/billing/webhook", content=recent_body,
                                     headers=recent)).status_code == 200
    other_body, other = FakeStripe.webhook(_invoice(customer), secret="whsec_other")
    assert_error(await stripe_client.post("/api/billing/webhook", content=other_body,
                                          headers=other), 400, "invalid_signature")
    assert_error(await stripe_client.post("/api/billing/webhook", content=body), 400,
                 "invalid_signature")
    assert_error(await stripe_client.post("/api/billing/webhook", content=b"x" * 600_000,
                                          headers=signed), 413, "payload_too_large")
    # Only the recent, valid delivery counted.
    assert (await _subscription(stripe_client, headers))["state"] == "past_due"


async def test_unhandled_events_and_unknown_customers_answer_200(stripe_client, services):
    for event in ({"type": "charge.refunded", "data": {"object": {"customer": "cus_x"}}},
                  _invoice("cus_nobody")):
        response = await _deliver(stripe_client, event)
        assert response.status_code == 200 and response.json() == {"received": True}
    async with services.db.session() as session:
        applied = (await session.execute(select(StripeEvent.applied))).scalars().all()
    assert applied == [False, False]


async def test_webhook_without_a_secret_is_a_clear_503(client):
    assert_error(await _deliver(client, _invoice("cus_x")), 503, "billing_not_configured")


# ----------------------------------------------------------------- entitlement


async def _entitlement(http, subject, headers=KEY) -> dict:
    response = await http.get("/api/billing/entitlement", params={"user_id": str(subject)},
                              headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_entitlement_is_for_services_only(client, services):
    user, headers = await _account(services, "PARENT")
    assert_error(await client.get("/api/billing/entitlement",
                                  params={"user_id": str(user.id)}), 401, "unauthenticated")
    assert_error(await client.get("/api/billing/entitlement", params={"user_id": str(user.id)},
                                  headers=headers), 403, "forbidden")
    assert_error(await client.get("/api/billing/entitlement", params={"user_id": "nope"},
                                  headers=KEY), 422, "validation_failed")
    assert_error(await client.get("/api/billing/entitlement", headers=KEY), 400, "bad_request")


async def test_entitlement_takes_the_most_permissive_source(client, services):
    nobody = uuid.uuid4()
    assert await _entitlement(client, nobody) == {"allowed": False, "tier": "none",
                                                  "expires_at": None, "features": []}
    parent, _ = await _account(services, "PARENT")
    trial = await _entitlement(client, parent.id)
    assert trial["allowed"] and trial["tier"] == "trial"
    assert trial["expires_at"] == (parent.created_at + timedelta(days=14)).isoformat(
        ).replace("+00:00", "Z")

    admin = await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])
    admin_headers = await bearer_for(services, admin)
    grant = """mutation($input: GrantEntitlementInput!) {
      grantEntitlement(input: $input) { grantId } }"""
    later = (datetime.now(UTC) + timedelta(days=400)).replace(microsecond=0)
    data = await gql(client, grant, {"input": {
        "subjectId": str(parent.id), "tier": "FULL", "features": ["FULL_LIBRARY"],
        "expiresAt": later.isoformat(), "reason": "pilot school"}}, headers=admin_headers)
    grant_id = data["grantEntitlement"]["grantId"]
    full = await _entitlement(client, parent.id)
    # The full grant wins; features are every valid source's (the trial's too).
    assert full == {"allowed": True, "tier": "full",
                    "expires_at": later.isoformat().replace("+00:00", "Z"),
                    "features": ["full_library", "learner_bot", "reports", "interventions"]}
    # An expired grant counts for nothing.
    await gql(client, grant, {"input": {
        "subjectId": str(nobody), "tier": "FULL",
        "expiresAt": (datetime.now(UTC) - timedelta(days=1)).isoformat()}},
        headers=admin_headers)
    assert (await _entitlement(client, nobody))["allowed"] is False
    assert relay.from_base64(grant_id)[0] == "EntitlementGrant"
    revoke = "mutation($id: ID!) { revokeEntitlementGrant(grantId: $id) { ok } }"
    await gql(client, revoke, {"id": grant_id}, headers=admin_headers)
    assert (await _entitlement(client, parent.id))["tier"] == "trial"
    # Only platform admins grant.
    body = await gql_raw(client, grant, {"input": {"subjectId": str(nobody), "tier": "FULL"}},
                         headers=await bearer_for(services, parent))
    assert error_codes(body) == ["FORBIDDEN"]


async def test_a_paid_plan_is_a_full_entitlement_until_its_period_ends(stripe_client,
                                                                      services, fake_stripe):
    user, _, customer = await _paid_parent(stripe_client, services, fake_stripe)
    await _deliver(stripe_client, _invoice(customer))
    assert await _entitlement(stripe_client, user.id) == {
        "allowed": True, "tier": "full", "expires_at": "2027-01-07T00:00:00Z",
        "features": ["full_library", "learner_bot", "reports"]}


# ----------------------------------------------------------------- GraphQL

SUBSCRIPTION = """{ billingSubscription { state tier plan trialEndsAt currentPeriodEnd
                   features } }"""
CHECKOUT = """mutation($input: CheckoutInput!) { startCheckout(input: $input) {
                checkoutUrl } }"""
ENTITLEMENT = """query($id: UUID!) { entitlement(userId: $id) { allowed tier expiresAt
                 features } }"""


async def test_billing_in_graphql_follows_the_same_rules(stripe_client, services,
                                                         fake_stripe):
    user, headers = await _account(services, "TEACHER")
    data = await gql(stripe_client, SUBSCRIPTION, headers=headers)
    assert data["billingSubscription"]["state"] == "TRIALING"
    assert data["billingSubscription"]["features"] == ["FULL_LIBRARY", "LEARNER_BOT",
                                                       "REPORTS", "INTERVENTIONS"]
    data = await gql(stripe_client, CHECKOUT, {"input": {"plan": "SCHOOL_ANNUAL",
                                                         "studentCount": 12}},
                     headers=headers)
    assert data["startCheckout"]["checkoutUrl"].startswith("https://checkout.stripe.com/")
    body = await gql_raw(stripe_client, CHECKOUT, {"input": {"plan": "SCHOOL_ANNUAL"}},
                         headers=headers)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    body = await gql_raw(stripe_client, CHECKOUT, {"input": {"plan": "PARENT_MONTHLY"}},
                         headers=headers)
    assert error_codes(body) == ["FORBIDDEN"]
    data = await gql(stripe_client, ENTITLEMENT, {"id": str(user.id)}, headers=KEY)
    assert data["entitlement"]["tier"] == "TRIAL"
    body = await gql_raw(stripe_client, ENTITLEMENT, {"id": str(user.id)}, headers=headers)
    assert error_codes(body) == ["FORBIDDEN"]
    body = await gql_raw(stripe_client, SUBSCRIPTION)
    assert error_codes(body) == ["UNAUTHENTICATED"]
