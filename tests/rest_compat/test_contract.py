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

import orjson

from core.app import main_port_faces
from core.errors import NotFound, Unauthenticated
from rest_compat import FACES

ENDPOINTS = Path(__file__).resolve().parents[2] / "docs" / "legacy-endpoints.tsv"

NOT_YET_SERVED: dict[str, set[tuple[str, str]]] = {}
FACES_NOT_YET_SERVED: set[str] = set()

# How a face answers a request without credentials, where it is not its own rendering of
# Unauthenticated (a missing record is always its rendering of NotFound).
UNAUTHENTICATED = {
    "openlesson": {"error": {"code": "unauthorized", "message": "Missing or invalid credentials",
                             "details": {}}},
}


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
    # A platform with several services has one face per service.
    routed: dict[str, set[tuple[str, str]]] = {}
    for face in FACES:
        routed.setdefault(face.platform, set()).update(
            (r.method, _shape(face.base + r.path)) for r in face.routes)
        routed[face.platform].update(("WS", _shape(face.base + s.path)) for s in face.sockets)
    assert set(documented) - set(routed) == FACES_NOT_YET_SERVED
    for name, paths in routed.items():
        missing = documented[name] - paths
        assert missing == NOT_YET_SERVED.get(name, set()), name


async def test_every_served_endpoint_answers_in_its_faces_shape(client):
    documented = _documented()
    # A face whose paths collide with an earlier face's is not at its base on the main port.
    main = {face.name for face in main_port_faces(FACES, set())}
    for face in FACES:
        own = {(r.method, _shape(face.base + r.path)) for r in face.routes}
        unauthenticated = face.render_error(Unauthenticated(face.unauthenticated_message)).body
        not_found_keys = set(orjson.loads(face.render_error(NotFound("x")).body))
        for method, shape in sorted(own & documented[face.platform]):
            path = shape.replace("{}", "1")
            for prefix in ("", f"/compat/{face.name}")[face.name not in main:]:
                response = await client.request(method, prefix + path, follow_redirects=False)
                where = (method, prefix + path, response.status_code, response.text[:200])
                assert response.status_code != 405, where
                # Not found is fine when it is the face's answer about a missing record.
                assert response.headers.get("content-type", "").startswith(
                    ("application/json", "text/event-stream", "text/markdown")) or \
                    response.status_code in (204, 302), where
                if response.status_code == 404:
                    assert not_found_keys <= set(response.json()), where
                if response.status_code == 401:
                    assert response.json() == UNAUTHENTICATED.get(
                        face.name, orjson.loads(unauthenticated)), (method, path)
