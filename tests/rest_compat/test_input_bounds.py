"""REST input bounds, enforced by the face framework for every route: integers past 64 bits
in paths, queries and bodies, NUL characters, strings over the limit and deep JSON are the
face's validation error, never a 500; validation errors quote only a prefix of the input.
Every route of every face is walked, so routes added later are covered too."""

from __future__ import annotations

import gc
import json
import logging
import re
import time

import orjson

from rest_compat import FACES
from tests.fixtures import bearer_for, create_user

BIG = "99999999999999999999"
BAD_SEGMENTS = [BIG, "18446744073709551616", "-9223372036854775809", "a%00b", "A" * 5000]
BAD_QUERY = "?skip=18446744073709551616&limit=18446744073709551616&offset=9223372036854775808" \
            "&page=99999999999999999999&q=a%00b&search=a%00b"
API = "/api/v1"


def _bodies(route) -> list[dict]:
    """One body with every field at 2**63, one with every field a NUL string."""
    names = [f.alias or name for name, f in route.body.model_fields.items()]
    return [{name: 2**63 for name in names}, {name: "a\x00b" for name in names},
            {name: -(2**63) - 1 for name in names}]


async def test_no_route_answers_bad_input_with_a_500(client, services, caplog):
    admin = await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])
    headers = await bearer_for(services, admin)
    failures = []
    with caplog.at_level(logging.ERROR):
        for face in FACES:
            base = f"/compat/{face.name}{face.base}"
            for route in face.routes:
                names = re.findall(r"{(\w+)(?::\w+)?}", route.path)
                paths = [re.sub(r"{[^}]+}", segment, route.path)
                         for segment in (BAD_SEGMENTS if names else ["-"])]
                for path in paths:
                    for body in _bodies(route) if route.body else [None]:
                        response = await client.request(
                            route.method, base + path + BAD_QUERY,
                            content=None if body is None else json.dumps(body),
                            headers={**headers, "content-type": "application/json"})
                        if response.status_code >= 500 or len(response.content) > 4096:
                            failures.append((route.method, base + path[:60],
                                             response.status_code, response.text[:200]))
    assert failures == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_path_id_past_64_bits_is_a_422(client):
    response = await client.get(f"{API}/courses/{BIG}")
    assert response.status_code == 422
    assert response.json() == {"detail": [{
        "type": "less_than_equal", "loc": ["path", "course_id"],
        "msg": "Input should be less than or equal to 9223372036854775807", "input": BIG,
        "ctx": {"le": "9223372036854775807"}}]}


async def test_a_query_integer_past_64_bits_is_a_422(client):
    response = await client.get(f"{API}/courses/?skip=18446744073709551616")
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", "skip"] and error["type"] == "less_than_equal"
    assert error["input"] == "18446744073709551616"
    response = await client.get(f"{API}/courses/?skip=-9223372036854775809")
    assert response.json()["detail"][0]["type"] in ("greater_than_equal",)


async def test_a_body_integer_past_64_bits_is_a_422(client, services):
    user = await create_user(services)
    headers = await bearer_for(services, user)
    response = await client.post(f"{API}/enrollments/", json={"course_offering_id": 2**63},
                                 headers=headers)
    assert response.status_code == 422
    assert response.json() == {"detail": [{
        "type": "less_than_equal", "loc": ["body", "course_offering_id"],
        "msg": "Input should be less than or equal to 9223372036854775807",
        "input": "9223372036854775808", "ctx": {"le": "9223372036854775807"}}]}


async def test_nul_characters_are_refused_in_bodies_and_queries(client, services, caplog):
    user = await create_user(services)
    headers = await bearer_for(services, user)
    with caplog.at_level(logging.ERROR):
        me = await client.put(f"{API}/users/me", json={"full_name": "a\x00b"}, headers=headers)
        search = await client.get(f"{API}/courses/?search=a%00b")
        request = await client.post(f"{API}/feature-requests/", headers=headers,
                                    json={"title": "Dark\x00mode", "description": "please"})
    assert me.status_code == 422
    assert me.json() == {"detail": [{
        "type": "string_nul", "loc": ["body", "full_name"],
        "msg": "String should not contain NUL (\\u0000) characters", "input": "a\x00b"}]}
    assert search.status_code == 422 and search.json()["detail"][0]["loc"] == ["query", "search"]
    assert request.status_code == 422
    assert request.json()["detail"][0]["loc"] == ["body", "title"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_the_openlearning_key_route_refuses_nul(client, services):
    user = await create_user(services)
    headers = await bearer_for(services, user)
    response = await client.post("/api/auth/api-key", json={"api_key": "sk-ant-\x00"},
                                 headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "string_nul"


async def test_a_2mb_string_is_refused_quickly_with_a_short_answer(client):
    body = orjson.dumps({"email": "a" * (2 * 1024 * 1024), "password": "x"})
    await client.get("/api/health")
    gc.collect()  # not a collection of what earlier tests left within the measured CPU
    started = time.process_time()
    response = await client.post(f"{API}/auth/login", content=body,
                                 headers={"content-type": "application/json"})
    cpu = time.process_time() - started
    assert response.status_code == 422
    assert cpu < 0.05, cpu
    assert len(response.content) < 1024
    [error] = response.json()["detail"]
    assert error["type"] == "string_too_long" and error["loc"] == ["body", "email"]
    assert error["ctx"] == {"max_length": "65536"}
    assert error["input"] == "a" * 100 + "…"


async def test_deep_json_is_refused_without_a_crash(client, caplog):
    with caplog.at_level(logging.ERROR):
        past_parser = await client.post(f"{API}/auth/login", content=b"[" * 5000 + b"]" * 5000,
                                        headers={"content-type": "application/json"})
        deep = await client.post(f"{API}/auth/login",
                                 content=b'{"email": ' + b"[" * 100 + b"]" * 100 + b"}",
                                 headers={"content-type": "application/json"})
    assert past_parser.status_code == 422
    [error] = past_parser.json()["detail"]
    assert error["type"] == "json_invalid" and len(error["input"]) == 100
    assert deep.status_code == 422
    assert deep.json()["detail"][0]["type"] == "too_deep"
    assert deep.json()["detail"][0]["msg"] == "Value should nest at most 32 levels"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_content_body_may_be_longer_than_the_default_limit(client, services):
    admin = await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])
    headers = await bearer_for(services, admin)
    body = {"module_id": 1, "course_id": 1, "content_type_id": 1, "title": "Reading",
            "data_json": {"body": "x" * 200_000}}
    response = await client.post(f"{API}/content/", json=body, headers=headers)
    assert response.status_code != 422, response.text[:300]
    too_long = await client.post(f"{API}/content/", headers=headers,
                                 json={**body, "title": "x" * 70_000})
    assert too_long.status_code == 422
    assert too_long.json()["detail"][0]["loc"] == ["body", "title"]
