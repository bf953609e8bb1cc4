"""Codelab ZIP export and import: an exact round trip, and unsafe archives refused."""

from __future__ import annotations

import base64
import io
import json
import os
import zipfile

from tests.codelabs.helpers import API, create_codelab, csrf, facilitator_login, put_steps, register
from tests.fixtures import error_codes

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
MANIFEST = {"format": "learngraph-codelab", "version": 1, "codelab": {"title": "Imported"},
            "steps": [{"title": "One", "file": "steps/001.md"}]}


def archive(entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as zf:
        for name, data in entries.items():
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return out.getvalue()


def valid(**extra: bytes) -> dict[str, bytes]:
    return {"codelab.json": json.dumps(MANIFEST).encode(), "steps/001.md": b"# One", **extra}


async def _import(http, data: bytes):
    return await http.post(f"{API}/codelabs/import",
                           files={"file": ("lab.zip", io.BytesIO(data), "application/zip")},
                           headers=csrf(http))


async def _count(http) -> int:
    return len((await http.get(f"{API}/codelabs")).json())


async def test_export_then_import_is_an_exact_round_trip(client):
    await facilitator_login(client)
    codelab = await create_codelab(client, title="Rust APIs",
                                   guide_markdown="# Prep\nBring a laptop", quiz_enabled=True,
                                   require_feedback=True, is_public=False)
    await put_steps(client, codelab["id"], [
        {"title": "Setup", "content_markdown": "# Setup\n\n`cargo new api`"},
        {"title": "Routes", "content_markdown": "Ünïcode ✓"}])
    response = await client.put(f"{API}/codelabs/{codelab['id']}/quizzes", json=[
        {"question": "Which crate?", "options": ["axum", "left-pad"], "correct_answer": 0}],
        headers=csrf(client))
    assert response.status_code == 200, response.text
    stored = (await client.post(f"{API}/upload/material",
                                files={"file": ("guide.pdf", io.BytesIO(PDF), "x/y")},
                                headers=csrf(client))).json()
    materials = f"{API}/codelabs/{codelab['id']}/materials"
    for body in ({"title": "Guide", "material_type": "file", "file_path": stored["url"]},
                 {"title": "Docs", "material_type": "link", "link_url": "https://docs.rs"}):
        assert (await client.post(materials, json=body, headers=csrf(client))).status_code == 200

    response = await client.get(f"{API}/codelabs/{codelab['id']}/export")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == 'attachment; filename="rust-apis.zip"'
    exported = response.content
    with zipfile.ZipFile(io.BytesIO(exported)) as zf:
        assert zf.namelist() == ["codelab.json", "steps/001.md", "steps/002.md",
                                 "materials/001.pdf"]
        manifest = json.loads(zf.read("codelab.json"))
        assert zf.read("steps/002.md").decode() == "Ünïcode ✓"
        assert zf.read("materials/001.pdf") == PDF
    assert manifest["codelab"] == {
        "title": "Rust APIs", "description": "Axum", "author": "Jane Doe", "is_public": False,
        "quiz_enabled": True, "require_quiz": False, "require_feedback": True,
        "guide_markdown": "# Prep\nBring a laptop"}
    assert manifest["quizzes"] == [{"question": "Which crate?", "quiz_type": "multiple_choice",
                                    "options": ["axum", "left-pad"], "correct_answer": 0}]
    assert manifest["materials"] == [
        {"title": "Guide", "material_type": "file", "file": "materials/001.pdf"},
        {"title": "Docs", "material_type": "link", "link_url": "https://docs.rs"}]

    response = await _import(client, exported)
    assert response.status_code == 200, response.text
    imported = response.json()
    assert imported["id"] != codelab["id"] and imported["title"] == "Rust APIs"
    assert imported["attendance_code"] != codelab["attendance_code"]
    again = (await client.get(f"{API}/codelabs/{imported['id']}/export")).content
    assert again == exported
    steps = (await client.get(f"{API}/codelabs/{imported['id']}")).json()[1]
    assert [(s["title"], s["content_markdown"]) for s in steps] == [
        ("Setup", "# Setup\n\n`cargo new api`"), ("Routes", "Ünïcode ✓")]
    copied = (await client.get(f"{API}/codelabs/{imported['id']}/materials")).json()
    assert copied[0]["file_path"] != stored["url"]  # a file of its own
    assert (await client.get(copied[0]["file_path"])).content == PDF


async def test_unsafe_or_broken_archives_are_refused_and_nothing_is_stored(client):
    await facilitator_login(client)
    before = await _count(client)
    bomb = archive({**valid(), "steps/001.md": b"\0" * (5 * 1024 * 1024)})
    # Entries inflating about 50 times each, 70 MiB in all: past the total, under the ratio.
    chunk = os.urandom(20_000) + b"\0" * (1024 * 1024 - 20_000)
    many = {f"steps/{i:03d}.md": chunk for i in range(1, 71)}
    big_manifest = {**MANIFEST, "steps": [{"title": f"S{i}", "file": f"steps/{i:03d}.md"}
                                          for i in range(1, 71)]}
    total = archive({"codelab.json": json.dumps(big_manifest).encode(), **many})
    cases = {
        "../escape.md": archive(valid(**{"../escape.md": b"x"})),
        "/etc/passwd": archive(valid(**{"/etc/passwd": b"x"})),
        "..\\windows.md": archive(valid(**{"..\\windows.md": b"x"})),
        "C:/drive.md": archive(valid(**{"C:/drive.md": b"x"})),
        "bomb": bomb,
        "total": total,
        "entries": archive({**valid(), **{f"x/{i}": b"" for i in range(1001)}},
                           compression=zipfile.ZIP_STORED),
        "oversize": b"PK\x03\x04" + b"\0" * (8 * 1024 * 1024),
        "not a zip": b"just text",
        "empty": b"",
        "no manifest": archive({"steps/001.md": b"x"}),
        "bad manifest": archive({"codelab.json": b"{\"format\": \"other\"}"}),
        "missing step": archive({"codelab.json": json.dumps(MANIFEST).encode()}),
    }
    messages = {}
    for name, data in cases.items():
        response = await _import(client, data)
        assert response.status_code == 400, (name, response.text)
        assert set(response.json()) == {"error"}
        messages[name] = response.json()["error"]
    assert "outside" in messages["../escape.md"] and "outside" in messages["/etc/passwd"]
    assert "outside" in messages["..\\windows.md"] and "outside" in messages["C:/drive.md"]
    assert "zip bomb" in messages["bomb"]
    assert messages["total"] == "The archive inflates to more than 64 MiB"
    assert messages["entries"] == "The archive has more than 1000 entries"
    assert messages["oversize"] == "The archive is too large (at most 8 MiB)"
    assert messages["not a zip"] == "The file is not a ZIP archive"
    assert messages["no manifest"] == "The archive has no codelab.json"
    assert messages["missing step"] == "The archive has no entry 'steps/001.md'"
    assert await _count(client) == before

    response = await _import(client, archive(valid()))
    assert response.status_code == 200
    assert await _count(client) == before + 1


async def test_export_and_import_are_for_facilitators(client, new_client):
    await facilitator_login(client)
    codelab = await create_codelab(client)
    jane = new_client()
    await register(jane, codelab)
    export = f"{API}/codelabs/{codelab['id']}/export"
    assert (await new_client().get(export)).status_code == 401
    response = await jane.get(export)
    assert response.status_code == 403 and set(response.json()) == {"error"}
    response = await client.get(f"{API}/codelabs/codelab_999999/export")
    assert response.status_code == 404
    assert response.json() == {"error": "Codelab not found"}
    data = archive(valid())
    assert (await _import(jane, data)).status_code == 403
    assert (await _import(new_client(), data)).status_code == 401
    response = await client.post(f"{API}/codelabs/import",
                                 files={"file": ("lab.zip", io.BytesIO(data), "x")})
    assert response.status_code == 403  # no CSRF token


EXPORT = """query($id: ID!) { codelabExport(id: $id) { fileName contentType contentBase64 } }"""
IMPORT = """mutation($file: Upload!) { importCodelab(file: $file) { codelab { title steps {
  title contentMarkdown } } } }"""


async def test_export_and_import_in_graphql(client):
    await facilitator_login(client)
    codelab = await create_codelab(client, title="GQL lab")
    await put_steps(client, codelab["id"], [{"title": "A", "content_markdown": "a"}])
    gid = (await client.post("/graphql", json={
        "query": "{ codelabs(first: 1) { edges { node { id } } } }"})).json()[
        "data"]["codelabs"]["edges"][0]["node"]["id"]
    body = (await client.post("/graphql", json={"query": EXPORT, "variables": {"id": gid}})
            ).json()
    exported = body["data"]["codelabExport"]
    assert exported["fileName"] == "gql-lab.zip" and exported["contentType"] == "application/zip"
    data = base64.b64decode(exported["contentBase64"])
    assert data == (await client.get(f"{API}/codelabs/{codelab['id']}/export")).content
    for payload, expect in ((data, None), (b"not a zip", "BAD_USER_INPUT")):
        response = await client.post("/graphql", data={
            "operations": json.dumps({"query": IMPORT, "variables": {"file": None}}),
            "map": json.dumps({"0": ["variables.file"]})},
            files={"0": ("lab.zip", io.BytesIO(payload), "application/zip")},
            headers=csrf(client))
        body = response.json()
        if expect:
            assert error_codes(body) == [expect]
        else:
            assert body["data"]["importCodelab"]["codelab"] == {
                "title": "GQL lab", "steps": [{"title": "A", "contentMarkdown": "a"}]}
