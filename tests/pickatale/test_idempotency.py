"""Idempotency keys (§39.4) on a route with an outside effect (Stripe checkout): required,
replayed for 24 h, 409 while in flight, 422 for another body, across instances."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

import httpx
from sqlalchemy import func, select, update

from models.infra import IdempotencyKey
from tests.fixtures import bearer_for, create_user, start_instance
from tests.pickatale.helpers import assert_error, new_key

CHECKOUT = "/api/billing/checkout"
PLAN = {"plan": "parent_monthly"}


async def _parent(services, email: str = "parent@example.com") -> dict:
    user = await create_user(services, email=email, roles=["PARENT"])
    return await bearer_for(services, user)


async def test_a_checkout_without_a_key_is_refused_before_anything_happens(
        stripe_client, services, fake_stripe):
    headers = await _parent(services)
    body = assert_error(await stripe_client.post(CHECKOUT, json=PLAN, headers=headers),
                        400, "idempotency_key_required")
    assert body["details"] == {"header": "Idempotency-Key"}
    for bad in ("x" * 256, "ключ".encode(), "two words"):
        response = await stripe_client.post(CHECKOUT, json=PLAN,
                                            headers={**headers, "Idempotency-Key": bad})
        assert_error(response, 422, "validation_failed")
    assert fake_stripe.requests == []


async def test_the_same_key_replays_the_first_response(stripe_client, services, fake_stripe):
    headers = {**await _parent(services), **new_key()}
    first = await stripe_client.post(CHECKOUT, json=PLAN, headers=headers)
    assert first.status_code == 200, first.text
    assert "idempotent-replayed" not in first.headers
    # Key order and spacing do not make another request.
    again = await stripe_client.post(
        CHECKOUT, content=b'{ "plan" :  "parent_monthly" }',
        headers={**headers, "Content-Type": "application/json"})
    assert again.status_code == 200
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert len(fake_stripe.forms("/v1/checkout/sessions")) == 1
    # Only a hash of the key is stored, with the response and a 24-hour expiry.
    async with services.db.session() as session:
        row = (await session.execute(select(IdempotencyKey))).scalar_one()
        age = (await session.execute(
            select(IdempotencyKey.expires_at - func.now()))).scalar_one()
    assert headers["Idempotency-Key"] not in row.key_hash
    assert row.key_hash != hashlib.sha256(headers["Idempotency-Key"].encode()).hexdigest()
    assert row.status == "complete" and row.response_status == 200
    # The response is kept sealed (see the test of the PINs below), never as sent.
    assert first.content not in row.response_body and len(row.response_body) > 12
    assert 23.9 * 3600 < age.total_seconds() <= 24 * 3600


async def test_the_same_key_with_another_body_is_422(stripe_client, services, fake_stripe):
    headers = {**await _parent(services), **new_key()}
    assert (await stripe_client.post(CHECKOUT, json=PLAN, headers=headers)).status_code == 200
    body = assert_error(await stripe_client.post(CHECKOUT, json={"plan": "parent_annual"},
                                                 headers=headers),
                        422, "idempotency_key_reused")
    assert body["details"] == {"header": "Idempotency-Key"}
    assert len(fake_stripe.forms("/v1/checkout/sessions")) == 1


async def test_the_same_key_while_the_first_runs_is_409(stripe_client, services, fake_stripe):
    headers = {**await _parent(services), **new_key()}
    fake_stripe.slow_next(1.5)
    first = asyncio.create_task(stripe_client.post(CHECKOUT, json=PLAN, headers=headers))
    await asyncio.sleep(0.5)
    assert_error(await stripe_client.post(CHECKOUT, json=PLAN, headers=headers),
                 409, "request_in_flight")
    assert (await first).status_code == 200
    replay = await stripe_client.post(CHECKOUT, json=PLAN, headers=headers)
    assert replay.status_code == 200 and replay.content == (await first).content


async def test_a_failure_worth_retrying_releases_the_key(stripe_client, services, fake_stripe):
    headers = {**await _parent(services), **new_key()}
    fake_stripe.fail_next(500)
    assert_error(await stripe_client.post(CHECKOUT, json=PLAN, headers=headers),
                 502, "payment_provider_error")
    retried = await stripe_client.post(CHECKOUT, json=PLAN, headers=headers)
    assert retried.status_code == 200, retried.text
    assert "idempotent-replayed" not in retried.headers


async def test_a_key_is_its_callers_own(stripe_client, services, fake_stripe):
    key = new_key()
    first = await stripe_client.post(CHECKOUT, json=PLAN,
                                     headers={**await _parent(services, "a@example.com"), **key})
    second = await stripe_client.post(CHECKOUT, json=PLAN,
                                      headers={**await _parent(services, "b@example.com"), **key})
    assert first.status_code == second.status_code == 200
    assert first.json() != second.json()
    assert "idempotent-replayed" not in second.headers


async def test_an_expired_key_runs_the_request_again(stripe_client, services, fake_stripe):
    headers = {**await _parent(services), **new_key()}
    first = await stripe_client.post(CHECKOUT, json=PLAN, headers=headers)
    async with services.db.transaction() as session:
        await session.execute(update(IdempotencyKey).values(
            expires_at=func.now() - timedelta(seconds=1)))
    again = await stripe_client.post(CHECKOUT, json=PLAN, headers=headers)
    assert again.status_code == 200 and again.json() != first.json()


async def test_concurrent_duplicates_on_two_instances_run_once(
        stripe_client, services, fake_stripe, database_url):
    other = await start_instance(database_url, **fake_stripe.overrides())
    headers = {**await _parent(services), **new_key()}
    try:
        async with httpx.AsyncClient(base_url=other.base_url, timeout=10) as second:
            fake_stripe.slow_next(0.5)
            responses = await asyncio.gather(*(
                (stripe_client if i % 2 else second).post(CHECKOUT, json=PLAN, headers=headers)
                for i in range(8)))
            after = await second.post(CHECKOUT, json=PLAN, headers=headers)
    finally:
        await other.stop()
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {200, 409}, [r.text for r in responses]
    done = [r for r in responses if r.status_code == 200]
    assert done and all(r.content == done[0].content for r in done)
    for response in responses:
        if response.status_code == 409:
            assert response.json()["error"] == "request_in_flight"
    # Stripe saw one checkout, whichever instance ran it; the key replays it everywhere.
    assert len(fake_stripe.forms("/v1/checkout/sessions")) == 1
    assert after.status_code == 200 and after.content == done[0].content


async def test_the_teacher_portal_honours_a_key_on_what_it_creates(client, services):
    teacher = await bearer_for(services, await create_user(
        services, email="t@example.com", roles=["TEACHER"]))
    key = new_key()
    first = await client.post("/api/v1/classes", json={"name": "4C"},
                              headers={**teacher, **key})
    again = await client.post("/api/v1/classes", json={"name": "4C"},
                              headers={**teacher, **key})
    assert first.status_code == again.status_code == 201, first.text
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"
    class_id = first.json()["id"]
    path = f"/api/v1/classes/{class_id}/students/import"
    roster = b"name,year_level\nSofia,3\nNoah,3\n"
    key = new_key()
    # httpx picks a new multipart boundary for each request: still the same request.
    imported = [await client.post(path, files={"roster": ("roster.csv", roster, "text/csv")},
                                  headers={**teacher, **key}) for _ in range(2)]
    assert imported[0].status_code == imported[1].status_code == 200, imported[0].text
    assert imported[0].json()["imported"] == 2
    assert imported[1].content == imported[0].content  # the same PINs, shown again
    other = await client.post(path, files={"roster": ("roster.csv", b"name,year_level\nMia,3\n",
                                                      "text/csv")}, headers={**teacher, **key})
    assert_error(other, 422, "idempotency_key_reused")
    # The reference requires the key on these routes.
    assert_error(await client.post("/api/v1/classes", json={"name": "4C"}, headers=teacher),
                 400, "idempotency_key_required")


async def test_kept_responses_are_sealed_and_the_pins_never_stored_in_the_clear(
        client, services):
    teacher = await bearer_for(services, await create_user(
        services, email="t@example.com", roles=["TEACHER"]))
    created = await client.post("/api/v1/classes", json={"name": "4C"},
                                headers={**teacher, **new_key()})
    path = f"/api/v1/classes/{created.json()['id']}/students/import"
    key = new_key()
    roster = b"name,year_level\nSofia,3\n"
    first = await client.post(path, files={"roster": ("roster.csv", roster, "text/csv")},
                              headers={**teacher, **key})
    assert first.status_code == 200, first.text
    pin = first.json()["students"][0]["pin"]
    async with services.db.session() as session:
        stored = (await session.execute(select(IdempotencyKey.response_body))).scalars().all()
    assert stored and all(pin.encode() not in body and b"sofia" not in body.lower()
                          for body in stored)
    # The client's key opens it: the replay is the first answer.
    again = await client.post(path, files={"roster": ("roster.csv", roster, "text/csv")},
                              headers={**teacher, **key})
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"
    # A server whose secret changed cannot read it, and says so instead of running again.
    async with services.db.transaction() as session:
        await session.execute(update(IdempotencyKey).values(response_body=b"\x00" * 40))
    unreadable = await client.post(path, files={"roster": ("roster.csv", roster, "text/csv")},
                                   headers={**teacher, **key})
    assert_error(unreadable, 409, "idempotency_key_unreadable")
