"""An empty (or JSON null) body on a route that takes one is answered as FastAPI does:
422 with a single ``missing`` error at ``["body"]``."""

from __future__ import annotations

MISSING_BODY = {"detail": [{"type": "missing", "loc": ["body"], "msg": "Field required",
                            "input": None}]}


async def test_an_empty_body_is_a_missing_body_on_2sigma(client):
    response = await client.post("/api/v1/auth/login")
    assert response.status_code == 422
    assert response.json() == MISSING_BODY
    response = await client.post("/api/v1/auth/login", content=b"null",
                                 headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json() == MISSING_BODY


async def test_an_empty_body_is_a_missing_body_on_openlearning(client):
    response = await client.post("/api/auth/login", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json() == MISSING_BODY


async def test_an_empty_object_still_reports_each_missing_field(client):
    response = await client.post("/api/v1/auth/check-email", json={})
    assert response.status_code == 422
    assert response.json()["detail"] == [{"type": "missing", "loc": ["body", "email"],
                                          "msg": "Field required", "input": {}}]
