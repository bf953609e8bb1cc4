"""Materials, uploads and assignment submissions through the Codelabs face and GraphQL."""

from __future__ import annotations

import io
import json

from PIL import Image

from tests.codelabs.helpers import API, create_codelab, csrf, facilitator_login, register
from tests.fixtures import error_codes

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
ELF = b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 4


def png(width: int = 8, height: int = 6) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 40)).save(out, format="PNG")
    return out.getvalue()


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> dict:
    return {"file": (name, io.BytesIO(data), content_type)}


async def _room(client, new_client):
    await facilitator_login(client)
    codelab = await create_codelab(client)
    jane_http = new_client()
    jane = await register(jane_http, codelab, name="Jane Doe")
    return codelab, jane_http, jane


async def test_a_material_file_is_uploaded_added_listed_served_and_deleted(client, new_client):
    codelab, jane_http, _ = await _room(client, new_client)
    response = await client.post(f"{API}/upload/material", files=upload("guide.pdf", PDF),
                                 headers=csrf(client))
    assert response.status_code == 200, response.text
    stored = response.json()
    assert stored["original_name"] == "guide.pdf"
    assert stored["url"].startswith(f"{client.base_url}/files/codelabs/materials/")
    assert stored["url"].endswith(".pdf")
    assert (await client.get(stored["url"])).content == PDF

    url = f"{API}/codelabs/{codelab['id']}/materials"
    response = await client.post(url, json={"title": "Guide", "material_type": "file",
                                            "file_path": stored["url"]}, headers=csrf(client))
    assert response.status_code == 200, response.text
    material = response.json()
    assert material == {"id": material["id"], "codelab_id": codelab["id"], "title": "Guide",
                        "material_type": "file", "link_url": None, "file_path": stored["url"],
                        "created_at": material["created_at"]}
    link = (await client.post(url, json={"title": "Docs", "material_type": "link",
                                         "link_url": "https://example.com/docs"},
                              headers=csrf(client))).json()
    assert link["link_url"] == "https://example.com/docs" and link["file_path"] is None

    listed = (await jane_http.get(url)).json()
    assert [m["title"] for m in listed] == ["Guide", "Docs"]
    assert (await new_client().get(url)).json() == listed  # a public codelab's materials

    response = await jane_http.delete(f"{url}/{material['id']}", headers=csrf(jane_http))
    assert response.status_code == 403
    response = await client.delete(f"{url}/{material['id']}", headers=csrf(client))
    assert response.status_code == 204
    assert (await client.get(stored["url"])).status_code == 404
    assert [m["title"] for m in (await client.get(url)).json()] == ["Docs"]
    response = await client.delete(f"{url}/{material['id']}", headers=csrf(client))
    assert response.status_code == 404
    assert response.json() == {"error": "Material not found"}


async def test_materials_refuse_bad_input_outsiders_and_forged_writes(client, new_client):
    codelab, jane_http, _ = await _room(client, new_client)
    url = f"{API}/codelabs/{codelab['id']}/materials"
    for body in ({}, {"title": "x", "material_type": "video"},
                 {"title": "", "material_type": "link", "link_url": "https://a.example"},
                 {"title": "x", "material_type": "link", "link_url": "javascript:alert(1)"},
                 {"title": "x", "material_type": "link"},
                 {"title": "x", "material_type": "file"},
                 {"title": "x", "material_type": "file",
                  "file_path": "https://evil.example/files/codelabs/materials/a.pdf"},
                 {"title": "x", "material_type": "file", "file_path": "../../etc/passwd"},
                 {"title": "x" * 301, "material_type": "link", "link_url": "https://a.b"}):
        response = await client.post(url, json=body, headers=csrf(client))
        assert response.status_code == 400, body
        assert set(response.json()) == {"error"}
    body = {"title": "Docs", "material_type": "link", "link_url": "https://example.com"}
    assert (await new_client().post(url, json=body)).status_code == 401
    response = await jane_http.post(url, json=body, headers=csrf(jane_http))
    assert response.status_code == 403
    response = await client.post(url, json=body)  # the session cookie without the token
    assert response.status_code == 403
    response = await client.post(url, json=body, headers={"X-CSRF-Token": "forged"})
    assert response.status_code == 403
    response = await client.delete(f"{url}/nonsense", headers=csrf(client))
    assert response.status_code == 404


async def test_uploads_are_sniffed_capped_and_for_facilitators(client, new_client):
    _, jane_http, _ = await _room(client, new_client)
    material = f"{API}/upload/material"
    response = await client.post(material, files=upload("page.html", b"<script>x</script>",
                                                        "text/html"), headers=csrf(client))
    assert response.status_code == 200
    assert response.json()["url"].endswith(".txt")  # never served as a page
    response = await client.post(material, files=upload("photo.pdf", png(), "application/pdf"),
                                 headers=csrf(client))
    assert response.json()["url"].endswith(".png")  # the bytes decide, not the name
    for name, data in (("tool.exe", ELF), ("empty.txt", b""),
                       ("big.txt", b"a" * (8 * 1024 * 1024 + 1))):
        response = await client.post(material, files=upload(name, data), headers=csrf(client))
        assert response.status_code == 400, name
        assert set(response.json()) == {"error"}
    response = await client.post(material, json={"file": "x"}, headers=csrf(client))
    assert response.status_code == 400
    assert response.json() == {"error": "Send the file as multipart/form-data in the field "
                                        "'file'"}
    for path in (material, f"{API}/upload/image"):  # a multipart body without a boundary
        response = await client.post(path, content=b"--x\r\n", headers={
            **csrf(client), "content-type": "multipart/form-data"})
        assert response.status_code == 400, path
        assert response.json() == {"error": "The multipart body could not be read"}
    response = await client.post(material, files=upload("a.pdf", PDF))
    assert response.status_code == 403  # no CSRF token
    response = await jane_http.post(material, files=upload("a.pdf", PDF),
                                    headers=csrf(jane_http))
    assert response.status_code == 403
    assert (await new_client().post(material, files=upload("a.pdf", PDF))).status_code == 401

    image = f"{API}/upload/image"
    response = await client.post(image, files=upload("shot.png", png(), "image/png"),
                                 headers=csrf(client))
    assert response.status_code == 200, response.text
    url = response.json()["url"]
    assert url.startswith(f"{client.base_url}/files/codelabs/images/") and url.endswith(".webp")
    served = (await client.get(url)).content
    assert served[:4] == b"RIFF" and served[8:12] == b"WEBP"
    with Image.open(io.BytesIO(served)) as decoded:
        assert decoded.size == (8, 6)
    for data in (PDF, b"\x89PNG\r\n\x1a\n" + b"broken" * 10):
        response = await client.post(image, files=upload("x.png", data, "image/png"),
                                     headers=csrf(client))
        assert response.status_code == 400
        assert set(response.json()) == {"error"}
    response = await jane_http.post(image, files=upload("x.png", png()),
                                    headers=csrf(jane_http))
    assert response.status_code == 403


async def test_submissions_are_handed_in_listed_and_deleted(client, new_client):
    codelab, jane_http, jane = await _room(client, new_client)
    bob_http = new_client()
    bob = await register(bob_http, codelab, name="Bob")
    mine = f"{API}/codelabs/{codelab['id']}/attendees/{jane['id']}/submissions"
    response = await jane_http.post(mine, files=upload("answer.py", b"print('hi')\n"),
                                    headers=csrf(jane_http))
    assert response.status_code == 200, response.text
    submitted = response.json()
    assert submitted == {
        "id": submitted["id"], "codelab_id": codelab["id"], "attendee_id": jane["id"],
        "attendee_name": "Jane Doe", "file_name": "answer.py",
        "file_path": submitted["file_path"], "file_size": 12, "content_type": "text/plain",
        "created_at": submitted["created_at"]}
    assert submitted["file_path"].endswith(".py")
    assert (await client.get(submitted["file_path"])).content == b"print('hi')\n"
    await bob_http.post(f"{API}/codelabs/{codelab['id']}/attendees/{bob['id']}/submissions",
                        files=upload("bob.pdf", PDF), headers=csrf(bob_http))

    listing = f"{API}/codelabs/{codelab['id']}/submissions"
    assert [s["file_name"] for s in (await client.get(listing)).json()] == ["answer.py",
                                                                           "bob.pdf"]
    assert [s["file_name"] for s in (await jane_http.get(listing)).json()] == ["answer.py"]
    assert (await new_client().get(listing)).status_code == 401

    # Bob can neither hand in as Jane nor delete her work.
    response = await bob_http.post(mine, files=upload("x.txt", b"x"), headers=csrf(bob_http))
    assert response.status_code == 403
    response = await bob_http.delete(f"{mine}/{submitted['id']}", headers=csrf(bob_http))
    assert response.status_code == 403
    response = await client.post(mine, files=upload("x.txt", b"x"), headers=csrf(client))
    assert response.status_code == 403  # facilitators do not hand in
    for name, data in (("tool.exe", ELF), ("empty.txt", b"")):
        response = await jane_http.post(mine, files=upload(name, data),
                                        headers=csrf(jane_http))
        assert response.status_code == 400
    response = await jane_http.post(mine, files=upload("a.txt", b"a"))
    assert response.status_code == 403  # no CSRF token

    response = await jane_http.delete(f"{mine}/{submitted['id']}", headers=csrf(jane_http))
    assert response.status_code == 204
    assert (await client.get(submitted["file_path"])).status_code == 404
    assert [s["file_name"] for s in (await client.get(listing)).json()] == ["bob.pdf"]
    response = await jane_http.delete(f"{mine}/{submitted['id']}", headers=csrf(jane_http))
    assert response.status_code == 404
    assert response.json() == {"error": "Submission not found"}
    response = await jane_http.delete(f"{mine}/submission_x", headers=csrf(jane_http))
    assert response.status_code == 404


UPLOAD_MATERIAL = """mutation($file: Upload!) {
  uploadCodelabMaterial(file: $file) { url originalName } }"""
ADD_MATERIAL = """mutation($input: AddCodelabMaterialInput!) {
  addCodelabMaterial(input: $input) { material { id title materialType fileUrl } } }"""
SUBMIT = """mutation($codelabId: ID!, $file: Upload!) {
  submitCodelabAssignment(codelabId: $codelabId, file: $file) {
    submission { id fileName fileSize attendeeName } } }"""
LISTS = """query($id: ID!) { codelab(id: $id) {
  materials(first: 1) { totalCount edges { node { title } } pageInfo { hasNextPage endCursor } }
  submissions(first: 10) { totalCount edges { node { fileName attendeeName } } } } }"""
DELETE_SUBMISSION = """mutation($codelabId: ID!, $id: ID!) {
  deleteCodelabSubmission(codelabId: $codelabId, id: $id) { deletedId } }"""


async def _multipart(http, query: str, variables: dict, name: str, data: bytes) -> dict:
    operations = json.dumps({"query": query, "variables": {**variables, "file": None}})
    response = await http.post("/graphql", data={
        "operations": operations, "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (name, io.BytesIO(data), "application/octet-stream")},
        headers=csrf(http))
    assert response.status_code == 200, response.text
    return response.json()


async def test_materials_and_submissions_in_graphql(client, new_client):
    codelab, jane_http, _ = await _room(client, new_client)
    codelab_gid = (await client.post("/graphql", json={
        "query": "{ codelabs(first: 1) { edges { node { id } } } }"}, headers=csrf(client))
    ).json()["data"]["codelabs"]["edges"][0]["node"]["id"]
    stored = (await _multipart(client, UPLOAD_MATERIAL, {}, "notes.md", b"# Notes\n")
              )["data"]["uploadCodelabMaterial"]
    assert stored["originalName"] == "notes.md" and stored["url"].endswith(".md")
    for title in ("Notes", "Second"):
        body = (await client.post("/graphql", json={"query": ADD_MATERIAL, "variables": {
            "input": {"codelabId": codelab_gid, "title": title, "materialType": "FILE",
                      "fileUrl": stored["url"]}}}, headers=csrf(client))).json()
        assert body["data"]["addCodelabMaterial"]["material"]["fileUrl"] == stored["url"]
    body = await _multipart(jane_http, UPLOAD_MATERIAL, {}, "n.md", b"x")
    assert error_codes(body) == ["FORBIDDEN"]

    body = await _multipart(jane_http, SUBMIT, {"codelabId": codelab_gid}, "a.txt", b"hello")
    submission = body["data"]["submitCodelabAssignment"]["submission"]
    assert submission["fileName"] == "a.txt" and submission["fileSize"] == 5
    assert submission["attendeeName"] == "Jane Doe"
    body = await _multipart(jane_http, SUBMIT, {"codelabId": codelab_gid}, "a.exe", ELF)
    assert error_codes(body) == ["BAD_USER_INPUT"]

    lists = (await client.post("/graphql", json={"query": LISTS, "variables": {
        "id": codelab_gid}})).json()["data"]["codelab"]
    assert [e["node"]["title"] for e in lists["materials"]["edges"]] == ["Notes"]
    assert lists["materials"]["pageInfo"]["hasNextPage"] is True
    assert (lists["materials"]["totalCount"], lists["submissions"]["totalCount"]) == (2, 1)
    assert lists["submissions"]["edges"] == [{"node": {"fileName": "a.txt",
                                                       "attendeeName": "Jane Doe"}}]
    body = (await client.post("/graphql", json={"query": DELETE_SUBMISSION, "variables": {
        "codelabId": codelab_gid, "id": submission["id"]}}, headers=csrf(client))).json()
    assert body["data"]["deleteCodelabSubmission"]["deletedId"] == submission["id"]
    assert codelab  # the REST and GraphQL views are one codelab
