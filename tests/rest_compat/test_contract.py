"""Every documented endpoint of the contract list (docs/legacy-endpoints.tsv) is served
by its face, on the main port and under /compat/<face>/, and answers a request without
credentials with that face's own error shape, never a bare 404 or 405.

The endpoints not served yet are listed here explicitly, so the list shrinks as faces
grow and a served endpoint can never silently disappear.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from rest_compat import FACES

ENDPOINTS = Path(__file__).resolve().parents[2] / "docs" / "legacy-endpoints.tsv"

NOT_YET_SERVED: dict[str, set[tuple[str, str]]] = {
    "openlesson": {
        ("POST", "/api/mcp/{}"),
        ("POST", "/api/v2/agent/workspaces"),
        ("GET", "/api/v2/agent/workspaces/{}/blocks"),
        ("POST", "/api/v2/agent/workspaces/{}/evidence"),
        ("POST", "/api/v2/agent/workspaces/{}/performance"),
        ("POST", "/api/v2/agent/workspaces/{}/blocks/{}/ghl-links"),
        ("GET", "/api/v2/agent/workspaces/{}/ghl-links"),
        ("GET", "/api/v2/agent/workspaces/{}/ghl-links/{}/results"),
        ("POST", "/api/workspace-ghl-score/chat"),
        ("POST", "/api/workspace-ghl-score/complete"),
    },
}
FACES_NOT_YET_SERVED = {"codelabs", "pickatale"}

# How each face answers a request without credentials, and a missing record.
UNAUTHENTICATED = {
    "openlesson": {"error": {"code": "unauthorized", "message": "Missing or invalid credentials",
                             "details": {}}},
}
NOT_FOUND_KEY = {"openlesson": "error"}


def _shape(path: str) -> str:
    return re.sub(r"{[^}]+}", "{}", path)


def _documented() -> dict[str, set[tuple[str, str]]]:
    with ENDPOINTS.open() as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    by_face: dict[str, set[tuple[str, str]]] = {}
    for row in rows:
        by_face.setdefault(row["face"], set()).add((row["method"], _shape(row["path"])))
    return by_face


def test_every_documented_endpoint_is_routed_or_listed_as_not_yet_served():
    documented = _documented()
    faces = {face.name: face for face in FACES}
    assert set(documented) - set(faces) == FACES_NOT_YET_SERVED
    for name, face in faces.items():
        routed = {(r.method, _shape(face.base + r.path)) for r in face.routes}
        missing = documented[name] - routed
        assert missing == NOT_YET_SERVED.get(name, set()), name


async def test_every_served_endpoint_answers_in_its_faces_shape(client):
    documented = _documented()
    for face in FACES:
        for method, shape in sorted(documented[face.name] - NOT_YET_SERVED.get(face.name, set())):
            path = shape.replace("{}", "1")
            for prefix in ("", f"/compat/{face.name}"):
                response = await client.request(method, prefix + path, follow_redirects=False)
                where = (method, prefix + path, response.status_code, response.text[:200])
                assert response.status_code != 405, where
                # Not found is fine when it is the face's answer about a missing record.
                assert response.headers.get("content-type", "").startswith(
                    ("application/json", "text/event-stream", "text/markdown")) or \
                    response.status_code in (204, 302), where
                if response.status_code == 404:
                    assert NOT_FOUND_KEY.get(face.name, "detail") in response.json(), where
                if response.status_code == 401:
                    assert response.json() == UNAUTHENTICATED.get(
                        face.name, {"detail": "Not authenticated"}), (method, path)
