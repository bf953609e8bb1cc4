"""Signing in to the Codelabs face and making codelabs, for its tests."""

from __future__ import annotations

import httpx

from tests.fixtures import CODELABS_ADMIN_PASSWORD

API = "/api"


def csrf(http: httpx.AsyncClient) -> dict[str, str]:
    """The ``X-CSRF-Token`` header a signed-in client's writes carry."""
    return {"X-CSRF-Token": http.cookies.get("oc_csrf", "")}


async def facilitator_login(http: httpx.AsyncClient) -> None:
    response = await http.post(f"{API}/login", json={"admin_id": "admin",
                                                     "admin_pw": CODELABS_ADMIN_PASSWORD},
                           headers=csrf(http))
    assert response.status_code == 200, response.text


async def create_codelab(http: httpx.AsyncClient, **fields) -> dict:
    body = {"title": "Build a REST API with Rust", "description": "Axum", "author": "Jane Doe",
            **fields}
    response = await http.post(f"{API}/codelabs", json=body, headers=csrf(http))
    assert response.status_code == 200, response.text
    return response.json()


async def put_steps(http: httpx.AsyncClient, codelab_id: str, steps: list[dict]) -> None:
    response = await http.put(f"{API}/codelabs/{codelab_id}/steps", json={"steps": steps},
                              headers=csrf(http))
    assert response.status_code == 200, response.text


async def register(http: httpx.AsyncClient, codelab: dict, *, name: str = "Jane Doe",
                   email: str | None = None) -> dict:
    response = await http.post(f"{API}/codelabs/{codelab['id']}/register",
                               json={"name": name, "code": codelab["attendance_code"],
                                     "email": email}, headers=csrf(http))
    assert response.status_code == 200, response.text
    return response.json()
