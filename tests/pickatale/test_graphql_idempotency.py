"""Idempotency keys on the GraphQL mutations of the routes §39.4 lists: the REST rules
(kept sealed for 24 h, replayed, REQUEST_IN_FLIGHT while the first runs,
IDEMPOTENCY_KEY_REUSED with other arguments, across instances), the key given as an
``idempotencyKey`` argument or an ``Idempotency-Key`` header on /graphql."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import func, select

from models.infra import IdempotencyKey
from models.roster import SchoolClass, Student
from models.user import User
from tests.fixtures import bearer_for, create_user, error_codes, gql, gql_raw, start_instance
from tests.pickatale.helpers import as_bearer, new_key, portal_account

CREATE = """
mutation($name: String!, $key: String) {
  createClass(input: {name: $name, yearLevel: 2}, idempotencyKey: $key) {
    teacherClass { id number name yearLevel createdAt } } }
"""
CREATE_COUNTED = """
mutation($name: String!, $key: String) {
  createClass(input: {name: $name, yearLevel: 2}, idempotencyKey: $key) {
    teacherClass { number studentCount } } }
"""
ADD = """
mutation($classId: ID!, $name: String!, $key: String) {
  addStudent(input: {classId: $classId, name: $name, yearLevel: 2}, idempotencyKey: $key) {
    student { id number username pin learnerServiceId } } }
"""
IMPORT = """
mutation($classId: ID!, $csv: String!) { importRoster(input: {classId: $classId, csv: $csv}) {
  imported students { number name username pin } existing { line name } } }
"""
REGISTER = """
mutation($input: RegisterAccountInput!, $key: String) {
  registerAccount(input: $input, idempotencyKey: $key) { userId state } }
"""
CHECKOUT = """
mutation($key: String) { startCheckout(input: {plan: PARENT_MONTHLY}, idempotencyKey: $key) {
  checkoutUrl } }
"""


def _key() -> str:
    return str(uuid.uuid4())


async def _count(services, model) -> int:
    async with services.db.session() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def _teacher(services, email: str = "teacher@example.com") -> dict:
    return as_bearer((await portal_account(services, "TEACHER", email))[1])


async def test_a_retry_with_the_key_gets_the_first_class_whatever_it_selects(
        client, services):
    teacher = await _teacher(services)
    key = _key()
    first = (await gql(client, CREATE, {"name": "Owls", "key": key},
                       headers=teacher))["createClass"]["teacherClass"]
    again = (await gql(client, CREATE, {"name": "Owls", "key": key},
                       headers=teacher))["createClass"]["teacherClass"]
    assert again == first and first["name"] == "Owls" and first["yearLevel"] == 2
    # Another selection is answered from the kept payload; live fields still resolve.
    counted = (await gql(client, CREATE_COUNTED, {"name": "Owls", "key": key},
                         headers=teacher))["createClass"]["teacherClass"]
    assert counted == {"number": first["number"], "studentCount": 0}
    assert await _count(services, SchoolClass) == 1
    # Without a key it runs as before: another class.
    await gql(client, CREATE, {"name": "Owls"}, headers=teacher)
    assert await _count(services, SchoolClass) == 2
    # Only a hash of the key is stored, with a 24-hour expiry.
    async with services.db.session() as session:
        rows = (await session.execute(select(IdempotencyKey))).scalars().all()
    assert len(rows) == 1 and key not in rows[0].key_hash and rows[0].status == "complete"


async def test_other_arguments_with_the_key_are_refused(client, services):
    teacher = await _teacher(services)
    key = _key()
    await gql(client, CREATE, {"name": "Owls", "key": key}, headers=teacher)
    body = await gql_raw(client, CREATE, {"name": "Larks", "key": key}, headers=teacher)
    assert error_codes(body) == ["IDEMPOTENCY_KEY_REUSED"]
    assert body["errors"][0]["extensions"]["details"] == {"argument": "idempotencyKey"}
    assert body["data"] is None
    assert await _count(services, SchoolClass) == 1


async def test_the_header_keys_a_roster_import_and_its_pins_are_shown_again_not_stored(
        client, services):
    teacher = await _teacher(services)
    number = (await gql(client, CREATE, {"name": "Owls"},
                        headers=teacher))["createClass"]["teacherClass"]["number"]
    headers = {**teacher, **new_key()}
    roster = {"classId": str(number), "csv": "name,year_level\nSofia,3\nNoah,3\n"}
    first = (await gql(client, IMPORT, roster, headers=headers))["importRoster"]
    again = (await gql(client, IMPORT, roster, headers=headers))["importRoster"]
    assert first["imported"] == 2 and again == first
    assert await _count(services, Student) == 2
    pins = [s["pin"] for s in first["students"]]
    async with services.db.session() as session:
        bodies = (await session.execute(select(IdempotencyKey.response_body))).scalars().all()
    assert bodies and all(b"sofia" not in body.lower() and not any(
        pin.encode() in body for pin in pins) for body in bodies)
    body = await gql_raw(client, IMPORT, {**roster, "csv": "name,year_level\nMia,3\n"},
                         headers=headers)
    assert error_codes(body) == ["IDEMPOTENCY_KEY_REUSED"]
    assert body["errors"][0]["extensions"]["details"] == {"header": "Idempotency-Key"}
    # The header and the argument must agree; each field keeps its own answer.
    added = await gql_raw(client, ADD, {"classId": str(number), "name": "Ava",
                                        "key": _key()}, headers=headers)
    assert error_codes(added) == ["BAD_USER_INPUT"]
    key = headers["Idempotency-Key"]
    added = (await gql(client, ADD, {"classId": str(number), "name": "Ava", "key": key},
                       headers=headers))["addStudent"]["student"]
    assert (await gql(client, ADD, {"classId": str(number), "name": "Ava"},
                      headers=headers))["addStudent"]["student"] == added
    assert await _count(services, Student) == 3


async def test_a_malformed_key_is_bad_input_and_runs_nothing(client, services):
    teacher = await _teacher(services)
    for bad in ("", "x" * 256, "two words", "ключ"):
        body = await gql_raw(client, CREATE, {"name": "Owls", "key": bad}, headers=teacher)
        assert error_codes(body) == ["BAD_USER_INPUT"], body
    assert await _count(services, SchoolClass) == 0


async def test_a_kept_failure_is_replayed_and_a_registration_is_not_run_twice(
        client, services, smtp):
    key = _key()
    account = {"name": "Pat", "email": "pat@example.com", "password": "correct-horse-9",
               "role": "PARENT"}
    first = (await gql(client, REGISTER, {"input": account, "key": key}))["registerAccount"]
    again = (await gql(client, REGISTER, {"input": account, "key": key}))["registerAccount"]
    assert again == first and first["state"] == "PENDING_VERIFICATION"
    assert await _count(services, User) == 1
    # Without the key a retry meets the account it made.
    body = await gql_raw(client, REGISTER, {"input": account})
    assert error_codes(body) == ["email_taken"]
    # A failure the client is meant to see is kept with the key, like an answer.
    weak = {**account, "email": "sam@example.com", "password": "weak"}
    key = _key()
    codes = [error_codes(await gql_raw(client, REGISTER, {"input": weak, "key": key}))
             for _ in range(2)]
    assert codes == [["weak_password"], ["weak_password"]]
    async with services.db.session() as session:
        statuses = (await session.execute(select(IdempotencyKey.response_status))).scalars()
        assert sorted(statuses) == [200, 422]


async def test_while_the_first_runs_the_key_is_in_flight_and_a_failure_releases_it(
        stripe_client, services, fake_stripe):
    parent = await bearer_for(services, await create_user(services, email="p@example.com",
                                                          roles=["PARENT"]))
    key = _key()
    fake_stripe.slow_next(1.5)
    first = asyncio.create_task(gql_raw(stripe_client, CHECKOUT, {"key": key}, headers=parent))
    await asyncio.sleep(0.5)
    body = await gql_raw(stripe_client, CHECKOUT, {"key": key}, headers=parent)
    assert error_codes(body) == ["REQUEST_IN_FLIGHT"]
    done = await first
    assert not done.get("errors"), done
    replay = await gql(stripe_client, CHECKOUT, {"key": key}, headers=parent)
    assert replay == done["data"]
    assert len(fake_stripe.forms("/v1/checkout/sessions")) == 1
    # Stripe failing is worth retrying: the key is let go.
    key = _key()
    fake_stripe.fail_next(500)
    body = await gql_raw(stripe_client, CHECKOUT, {"key": key}, headers=parent)
    assert body["data"] is None and error_codes(body) != []
    retried = await gql(stripe_client, CHECKOUT, {"key": key}, headers=parent)
    assert retried["startCheckout"]["checkoutUrl"] != replay["startCheckout"]["checkoutUrl"]
    # The first, the one Stripe failed, and the retry.
    assert len(fake_stripe.forms("/v1/checkout/sessions")) == 3


async def test_concurrent_duplicates_on_two_instances_run_once(
        stripe_client, services, fake_stripe, database_url):
    other = await start_instance(database_url, **fake_stripe.overrides())
    parent = await bearer_for(services, await create_user(services, email="p@example.com",
                                                          roles=["PARENT"]))
    headers = {**parent, **new_key()}
    try:
        async with httpx.AsyncClient(base_url=other.base_url, timeout=10) as second:
            fake_stripe.slow_next(0.5)
            bodies = await asyncio.gather(*(
                gql_raw(stripe_client if i % 2 else second, CHECKOUT, headers=headers)
                for i in range(8)))
            after = await gql(second, CHECKOUT, headers=headers)
    finally:
        await other.stop()
    done = [b["data"] for b in bodies if not b.get("errors")]
    refused = [error_codes(b) for b in bodies if b.get("errors")]
    assert done and all(d == done[0] for d in done), bodies
    assert all(codes == ["REQUEST_IN_FLIGHT"] for codes in refused), refused
    assert len(fake_stripe.forms("/v1/checkout/sessions")) == 1
    assert after == done[0]
