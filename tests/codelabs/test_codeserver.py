"""Code-server workspaces: branches as real git branches, folders on disk, file reads
and writes, the ZIP download, and what is refused (outsiders, forged writes, paths
leaving the workspace, sizes)."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import zipfile
from pathlib import Path

import httpx
import pytest
from dulwich.repo import Repo

from resolvers import codelab_workspace_files
from tests.codelabs.helpers import API, create_codelab, csrf, facilitator_login, register
from tests.fixtures import bearer_for, create_user, error_codes, gql_raw, start_instance

CS = f"{API}/codeserver"


def _root(services, codelab: dict) -> Path:
    return Path(services.settings.data_dir) / "workspaces" / codelab["id"]


async def _room(client, new_client):
    await facilitator_login(client)
    codelab = await create_codelab(client)
    jane_http = new_client()
    await register(jane_http, codelab, name="Jane Doe")
    return codelab, jane_http


async def _create(client, codelab: dict, structure_type: str = "branch", files=None):
    body = {"codelab_id": codelab["id"], "structure_type": structure_type,
            "workspace_files": files if files is not None else [
                {"path": "README.md", "content": "# Hello"},
                {"path": "src/main.rs", "content": "fn main() {}\n"}]}
    response = await client.post(CS, json=body, headers=csrf(client))
    assert response.status_code == 200, response.text
    return response.json()


async def _post(client, url: str, body: dict):
    return await client.post(url, json=body, headers=csrf(client))


async def test_a_branch_workspace_keeps_each_step_as_a_git_branch(client, new_client, services,
                                                                  tmp_path):
    codelab, _ = await _room(client, new_client)
    one = f"{CS}/{codelab['id']}"
    created = await _create(client, codelab)
    assert created == {"codelab_id": codelab["id"], "path": f"workspaces/{codelab['id']}",
                       "structure_type": "branch", "created_at": created["created_at"]}
    assert (await client.get(one)).json() == created
    root = _root(services, codelab)
    assert (root / "README.md").read_text() == "# Hello"
    assert (await client.get(f"{one}/branches")).json() == ["main"]

    for kind in ("start", "end"):
        response = await _post(client, f"{one}/branch", {"step_number": 1, "branch_type": kind})
        assert response.status_code == 200, response.text
        assert response.json() == {"success": True, "branch": f"step-1-{kind}"}
    assert (await client.get(f"{one}/branches")).json() == ["main", "step-1-end",
                                                            "step-1-start"]
    response = await _post(client, f"{one}/branch", {"step_number": 1, "branch_type": "end"})
    assert response.status_code == 409
    assert response.json() == {"error": "Branch step-1-end already exists"}

    response = await _post(client, f"{one}/branches/step-1-end/files", {
        "files": [{"path": "src/lib.rs", "content": "pub fn answer() -> u8 { 42 }\n"},
                  {"path": "src/main.rs", "content": "fn main() { lib::answer(); }\n"}],
        "delete_files": ["README.md", "not/there.txt"], "commit_message": "Step 1 solution"})
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True}
    files = await client.get(f"{one}/branches/step-1-end/files")
    assert files.json() == ["src/lib.rs", "src/main.rs"]
    read = await client.get(f"{one}/branches/step-1-end/file", params={"file": "src/lib.rs"})
    assert read.status_code == 200
    assert read.headers["content-type"] == "text/plain; charset=utf-8"
    assert read.text == "pub fn answer() -> u8 { 42 }\n"
    # The other branches, and main checked out on disk, are untouched.
    assert (await client.get(f"{one}/branches/step-1-start/files")).json() == [
        "README.md", "src/main.rs"]
    assert not (root / "src" / "lib.rs").exists()

    # A write to main is a commit, and the folder on disk follows it.
    response = await _post(client, f"{one}/branches/main/files", {
        "files": [{"path": "Cargo.toml", "content": "[package]\n"}], "delete_files": ["src"]})
    assert response.status_code == 200, response.text
    assert sorted(p.name for p in root.iterdir()) == [".git", "Cargo.toml", "README.md"]

    # The download is the repository: every branch and commit, readable by git.
    response = await client.get(f"{one}/download")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    name = f"{codelab['id']}-workspace"
    assert response.headers["content-disposition"] == f'attachment; filename="{name}.zip"'
    with zipfile.ZipFile(io.BytesIO(response.content)) as zf:
        assert {f"{name}/README.md", f"{name}/Cargo.toml", f"{name}/.git/HEAD"} <= set(
            zf.namelist())
        zf.extractall(tmp_path)
    with Repo(str(tmp_path / name)) as repo:
        assert sorted(repo.refs.keys(base=b"refs/heads/")) == [b"main", b"step-1-end",
                                                               b"step-1-start"]
        tip = repo[repo.refs[b"refs/heads/step-1-end"]]
        assert tip.message == b"Step 1 solution\n"
        assert repo[tip.parents[0]].message == b"Create workspace\n"
        assert repo[repo.refs[b"refs/heads/main"]].message == b"Update workspace files\n"

    actions = [e["action"] for e in (await client.get(
        f"{API}/admin/audit-logs", params={"codelab_id": codelab["id"]})).json()]
    assert actions[:6] == ["codeserver_download", "workspace_branch_update",
                           "workspace_branch_update", "codeserver_branch_create",
                           "codeserver_branch_create", "workspace_create"]

    response = await client.delete(one, headers=csrf(client))
    assert response.status_code == 204
    assert (await client.get(one)).json() == {"error": "Workspace not found"}
    assert not root.exists()
    # A new workspace can be made again, with the other structure.
    assert (await _create(client, codelab, "folder", []))["structure_type"] == "folder"


async def test_a_folder_workspace_keeps_each_step_as_a_folder(client, new_client, services):
    codelab, _ = await _room(client, new_client)
    one = f"{CS}/{codelab['id']}"
    await _create(client, codelab, "folder", [{"path": "README.md", "content": "# Base"}])
    starter = [{"path": "main.py", "content": "print('hi')\n"},
               {"path": "pkg/util.py", "content": "X = 1\n"}]
    for kind in ("start", "end"):
        response = await _post(client, f"{one}/folder", {"step_number": 2, "folder_type": kind,
                                                         "files": starter})
        assert response.status_code == 200, response.text
        assert response.json() == {"success": True, "folder": f"step-2-{kind}"}
    assert (await client.get(f"{one}/folders")).json() == ["step-2-end", "step-2-start"]
    response = await _post(client, f"{one}/folder", {"step_number": 2, "folder_type": "end"})
    assert response.status_code == 409

    response = await _post(client, f"{one}/folders/step-2-end/files", {
        "files": [{"path": "main.py", "content": "print('done')\n"},
                  {"path": "data/ü.txt", "content": "ünïcode"}],
        "delete_files": ["pkg"]})
    assert response.status_code == 200, response.text
    assert (await client.get(f"{one}/folders/step-2-end/files")).json() == [
        "data/ü.txt", "main.py"]
    assert (await client.get(f"{one}/folders/step-2-start/files")).json() == [
        "main.py", "pkg/util.py"]
    read = await client.get(f"{one}/folders/step-2-end/file", params={"file": "data/ü.txt"})
    assert read.status_code == 200 and read.text == "ünïcode"
    root = _root(services, codelab)
    (root / "step-2-end" / "blob.bin").write_bytes(b"\xff\xfe\x00binary")
    read = await client.get(f"{one}/folders/step-2-end/file", params={"file": "blob.bin"})
    assert read.headers["content-type"] == "application/octet-stream"
    assert read.content == b"\xff\xfe\x00binary"
    for path, missing in ((f"{one}/folders/step-9-end/files", "Folder not found"),
                          (f"{one}/folders/step-2-end/file?file=nope.py", "File not found")):
        response = await client.get(path)
        assert (response.status_code, response.json()) == (404, {"error": missing})

    # Branch routes on a folder workspace (and the reverse) are bad input.
    for method, path, body in (("GET", "/branches", None),
                               ("POST", "/branch", {"step_number": 1, "branch_type": "start"}),
                               ("POST", "/branches/main/files", {"files": []})):
        response = await client.request(method, one + path, json=body, headers=csrf(client))
        assert response.status_code == 400, path
        assert response.json() == {"error": "This workspace is structured as folders, not "
                                            "branches"}

    response = await client.get(f"{one}/download")
    with zipfile.ZipFile(io.BytesIO(response.content)) as zf:
        top = f"{codelab['id']}-workspace"
        assert sorted(zf.namelist()) == sorted([
            f"{top}/", f"{top}/README.md", f"{top}/step-2-end/blob.bin",
            f"{top}/step-2-end/data/ü.txt", f"{top}/step-2-end/main.py",
            f"{top}/step-2-start/main.py", f"{top}/step-2-start/pkg/util.py"])
        assert zf.read(f"{top}/step-2-end/main.py") == b"print('done')\n"


async def test_paths_outside_the_workspace_are_refused(client, new_client, services, tmp_path):
    codelab, _ = await _room(client, new_client)
    one = f"{CS}/{codelab['id']}"
    await _create(client, codelab, "folder", [])
    await _post(client, f"{one}/folder", {"step_number": 1, "folder_type": "start"})
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    folder = _root(services, codelab) / "step-1-start"
    os.symlink(tmp_path, folder / "outside")
    os.symlink(secret, folder / "secret-link.txt")
    os.symlink(tmp_path, _root(services, codelab) / "linked-folder")

    bad_paths = ["../escape.txt", "a/../../escape.txt", "/etc/passwd", "C:/x.txt",
                 "..\\x.txt", ".git/config", "a/.GIT/hooks/pre-commit", "a//b", "./a",
                 "tab\there", "x" * 600, "/".join(["d"] * 21) + ".txt"]
    for path in bad_paths:
        response = await _post(client, f"{one}/folders/step-1-start/files",
                               {"files": [{"path": path, "content": "x"}]})
        assert response.status_code == 400, (path, response.text)
        response = await client.get(f"{one}/folders/step-1-start/file", params={"file": path})
        assert response.status_code == 400, (path, response.text)
        response = await _post(client, CS, {"codelab_id": codelab["id"],
                                            "workspace_files": [{"path": path,
                                                                 "content": "x"}]})
        assert response.status_code in (400, 409), path
    response = await _post(client, f"{one}/folders/step-1-start/files",
                           {"files": [], "delete_files": ["../../secret.txt"]})
    assert response.status_code == 400

    # Symbolic links on disk are never followed, listed or archived.
    for file in ("outside/secret.txt", "secret-link.txt"):
        response = await client.get(f"{one}/folders/step-1-start/file", params={"file": file})
        assert response.status_code == 400, file
        assert "symbolic link" in response.json()["error"]
    response = await _post(client, f"{one}/folders/step-1-start/files",
                           {"files": [{"path": "outside/planted.txt", "content": "x"}]})
    assert response.status_code == 400
    assert not (tmp_path / "planted.txt").exists()
    assert (await client.get(f"{one}/folders")).json() == ["step-1-start"]
    assert (await client.get(f"{one}/folders/linked-folder/files")).status_code == 404
    assert (await client.get(f"{one}/folders/step-1-start/files")).json() == []
    archive = (await client.get(f"{one}/download")).content
    assert not any("secret" in n or "outside" in n
                   for n in zipfile.ZipFile(io.BytesIO(archive)).namelist())
    # Deleting a link removes the link, not what it points to.
    response = await _post(client, f"{one}/folders/step-1-start/files",
                           {"files": [], "delete_files": ["secret-link.txt", "outside"]})
    assert response.status_code == 200
    assert secret.read_text() == "do not read"

    # A branch workspace refuses the same paths, and names that are not branches.
    second = await create_codelab(client, title="Second")
    await _create(client, second)
    two = f"{CS}/{second['id']}"
    for path in bad_paths:
        response = await _post(client, f"{two}/branches/main/files",
                               {"files": [{"path": path, "content": "x"}]})
        assert response.status_code == 400, path
    for branch in ("nope", "a..b", "x" * 101, "%2e%2e"):
        response = await client.get(f"{two}/branches/{branch}/files")
        assert response.status_code == 404, branch
        assert response.json() == {"error": "Branch not found"}
    response = await client.get(f"{two}/branches/main/file", params={"file": "src"})
    assert (response.status_code, response.json()) == (400, {"error": "'src' is a folder"})
    response = await _post(client, f"{two}/branches/main/files",
                           {"files": [{"path": "README.md/inner.txt", "content": "x"}]})
    assert response.status_code == 400
    assert "both a file and a folder" in response.json()["error"]


async def test_sizes_and_counts_are_bounded(client, new_client, monkeypatch, services):
    codelab, _ = await _room(client, new_client)
    one = f"{CS}/{codelab['id']}"
    await _create(client, codelab, "branch", [])
    big = "x" * (1024 * 1024 + 1)
    response = await _post(client, f"{one}/branches/main/files",
                           {"files": [{"path": "big.txt", "content": big}]})
    assert response.status_code == 400
    assert response.json() == {
        "error": "files.0.content: String should have at most 1048576 characters"}
    # Characters that take several bytes count as bytes.
    response = await _post(client, f"{one}/branches/main/files",
                           {"files": [{"path": "big.txt", "content": "é" * 600_000}]})
    assert (response.status_code, response.json()) == (
        400, {"error": "files.0.content must be at most 1048576 bytes"})
    response = await _post(client, f"{one}/branches/main/files", {
        "files": [{"path": f"f{i}.txt", "content": ""} for i in range(501)]})
    assert response.status_code == 400
    for body in ({"step_number": 0, "branch_type": "start"},
                 {"step_number": 201, "branch_type": "start"},
                 {"step_number": 2**70, "branch_type": "start"},
                 {"step_number": 1, "branch_type": "middle"},
                 {"step_number": "one", "branch_type": "start"}, {"branch_type": "start"}):
        response = await _post(client, f"{one}/branch", body)
        assert response.status_code == 400, body
        assert set(response.json()) == {"error"}
    response = await _post(client, f"{one}/branches/main/files",
                           {"files": [], "commit_message": "m" * 1001})
    assert response.status_code == 400
    # A workspace may hold so much on disk (a smaller cap here, to keep the test quick).
    monkeypatch.setattr(codelab_workspace_files, "WORKSPACE_MAX_BYTES", 3 * 1024 * 1024)
    chunk = "y" * (1024 * 1024)
    for index in range(2):
        response = await _post(client, f"{one}/branches/main/files",
                               {"files": [{"path": f"part{index}.txt", "content": chunk}]})
        assert response.status_code == 200, response.text
    response = await _post(client, f"{one}/branches/main/files",
                           {"files": [{"path": "part3.txt", "content": chunk}]})
    assert response.status_code == 400
    assert response.json() == {"error": "A workspace may hold at most 3 MiB"}
    # And so many files on disk: git's loose objects are packed as they add up, so
    # they do not count against it for long.
    monkeypatch.setattr(codelab_workspace_files, "LOOSE_OBJECTS_MAX", 5)
    for index in range(3):
        response = await _post(client, f"{one}/branches/main/files",
                               {"files": [{"path": f"small{index}.txt", "content": "s"}]})
        assert response.status_code == 200, response.text
    root = _root(services, codelab)
    assert list((root / ".git" / "objects" / "pack").glob("*.pack"))
    read = await client.get(f"{one}/branches/main/file", params={"file": "part0.txt"})
    assert read.text == chunk
    on_disk = sum(1 for p in root.rglob("*") if p.is_file())
    monkeypatch.setattr(codelab_workspace_files, "WORKSPACE_ENTRIES_MAX", on_disk + 1)
    response = await _post(client, f"{one}/branches/main/files", {
        "files": [{"path": "one.txt", "content": "1"}, {"path": "two.txt", "content": "2"}]})
    assert (response.status_code, response.json()) == (
        400, {"error": f"A workspace may hold at most {on_disk + 1} files"})


async def test_workspaces_are_for_the_codelabs_facilitators(client, new_client, services):
    codelab, jane_http = await _room(client, new_client)
    one = f"{CS}/{codelab['id']}"
    routes = [("POST", CS, {"codelab_id": codelab["id"]}), ("GET", one, None),
              ("DELETE", one, None),
              ("POST", f"{one}/branch", {"step_number": 1, "branch_type": "start"}),
              ("POST", f"{one}/folder", {"step_number": 1, "folder_type": "start"}),
              ("GET", f"{one}/download", None), ("GET", f"{one}/branches", None),
              ("GET", f"{one}/branches/main/files", None),
              ("GET", f"{one}/branches/main/file?file=README.md", None),
              ("POST", f"{one}/branches/main/files", {"files": []}),
              ("GET", f"{one}/folders", None), ("GET", f"{one}/folders/f/files", None),
              ("GET", f"{one}/folders/f/file?file=a", None),
              ("POST", f"{one}/folders/f/files", {"files": []})]
    anonymous = new_client()
    for method, path, body in routes:
        response = await anonymous.request(method, path, json=body)
        assert (response.status_code, response.json()) == (401, {"error": "Login required"}), \
            path
        response = await jane_http.request(method, path, json=body, headers=csrf(jane_http))
        assert response.status_code == 403, (method, path)
        assert response.json() == {"error": "Only the codelab's facilitator can do this"}
    # Another instructor (Bearer, no CSRF) cannot reach this codelab's workspace either.
    other = await create_user(services, email="eve@example.com", roles=["INSTRUCTOR"])
    headers = await bearer_for(services, other)
    for method, path, body in routes:
        response = await anonymous.request(method, path, json=body, headers=headers)
        assert response.status_code == 403, (method, path)
    # The facilitator's cookie writes need the CSRF token.
    for method, path, body in routes:
        if method == "GET":
            continue
        response = await client.request(method, path, json=body)
        assert response.status_code == 403, (method, path)
        response = await client.request(method, path, json=body,
                                        headers={"X-CSRF-Token": "forged"})
        assert response.status_code == 403, (method, path)
    # Before a workspace exists: 404; an unknown or malformed codelab: 404.
    for method, path, body in routes[1:]:
        response = await client.request(method, path, json=body, headers=csrf(client))
        assert (response.status_code, response.json()) == (
            404, {"error": "Workspace not found"}), (method, path)
    for codelab_id in ("codelab_999999", "nonsense", "codelab_0"):
        response = await _post(client, CS, {"codelab_id": codelab_id})
        assert (response.status_code, response.json()) == (404, {"error": "Codelab not found"})
        response = await client.get(f"{CS}/{codelab_id}")
        assert response.status_code == 404
    # Bad bodies.
    for body in ({}, {"codelab_id": codelab["id"], "structure_type": "tree"},
                 {"codelab_id": codelab["id"], "workspace_files": "README.md"},
                 {"codelab_id": codelab["id"], "workspace_files": [{"path": "a"}]},
                 {"codelab_id": 12}):
        response = await _post(client, CS, body)
        assert response.status_code == 400, body
        assert set(response.json()) == {"error"}
    response = await client.post(CS, content=b"{not json", headers={
        **csrf(client), "content-type": "application/json"})
    assert (response.status_code, response.json()) == (
        400, {"error": "Request body is not valid JSON"})
    await _create(client, codelab)
    response = await client.get(f"{one}/branches/main/file")
    assert (response.status_code, response.json()) == (400, {"error": "file: Field required"})
    response = await _post(client, CS, {"codelab_id": codelab["id"]})
    assert (response.status_code, response.json()) == (
        409, {"error": "The codelab already has a workspace"})


async def test_deleting_the_codelab_removes_its_workspace_files(client, new_client, services):
    codelab, _ = await _room(client, new_client)
    await _create(client, codelab)
    root = _root(services, codelab)
    assert root.is_dir()
    assert (await client.delete(f"{API}/codelabs/{codelab['id']}",
                                headers=csrf(client))).status_code == 204
    assert not root.exists()


CREATE = """mutation($id: ID!, $files: [CodelabWorkspaceFileInput!]) {
  createCodelabWorkspace(codelabId: $id, structureType: "branch", files: $files) {
    workspace { structureType path branches folders } } }"""
BRANCH = """mutation($id: ID!) {
  createCodelabWorkspaceBranch(codelabId: $id, stepNumber: 3, branchType: "start") {
    name workspace { branches } } }"""
WRITE = """mutation($id: ID!, $files: [CodelabWorkspaceFileInput!]!) {
  writeCodelabWorkspaceFiles(codelabId: $id, branch: "step-3-start", files: $files,
                             deleteFiles: ["README.md"], commitMessage: "Step 3") {
    workspace { structureType } } }"""
READ = """query($id: ID!, $path: String!) {
  codelabWorkspace(codelabId: $id) { structureType branches }
  codelabWorkspaceFiles(codelabId: $id, branch: "step-3-start")
  codelabWorkspaceFile(codelabId: $id, branch: "step-3-start", path: $path) {
    path content contentBase64 size }
  codelabWorkspaceDownload(codelabId: $id) { fileName contentType contentBase64 } }"""
DELETE = """mutation($id: ID!) { deleteCodelabWorkspace(codelabId: $id) { codelabId } }"""


async def test_workspaces_in_graphql(client, new_client):
    codelab, jane_http = await _room(client, new_client)
    gid = (await client.post("/graphql", json={
        "query": "{ codelabs(first: 1) { edges { node { id } } } }"}, headers=csrf(client))
    ).json()["data"]["codelabs"]["edges"][0]["node"]["id"]

    async def run(http, query, **variables):
        return await gql_raw(http, query, {"id": gid, **variables}, headers=csrf(http))

    body = await run(client, CREATE, files=[{"path": "README.md", "content": "# Hi"}])
    assert body["data"]["createCodelabWorkspace"]["workspace"] == {
        "structureType": "branch", "path": f"workspaces/{codelab['id']}",
        "branches": ["main"], "folders": []}
    body = await run(client, BRANCH)
    assert body["data"]["createCodelabWorkspaceBranch"] == {
        "name": "step-3-start", "workspace": {"branches": ["main", "step-3-start"]}}
    body = await run(client, WRITE, files=[{"path": "app/main.go", "content": "package main"}])
    assert not body.get("errors"), body
    body = await run(client, READ, path="app/main.go")
    assert not body.get("errors"), body
    data = body["data"]
    assert data["codelabWorkspace"] == {"structureType": "branch",
                                        "branches": ["main", "step-3-start"]}
    assert data["codelabWorkspaceFiles"] == ["app/main.go"]
    assert data["codelabWorkspaceFile"] == {"path": "app/main.go", "content": "package main",
                                            "contentBase64": "cGFja2FnZSBtYWlu", "size": 12}
    assert data["codelabWorkspaceDownload"]["fileName"] == f"{codelab['id']}-workspace.zip"

    # Same rules as the face: attendees are refused, bad paths are bad input.
    assert set(error_codes(await run(jane_http, READ, path="app/main.go"))) == {"FORBIDDEN"}
    assert error_codes(await run(jane_http, BRANCH)) == ["FORBIDDEN"]
    body = await run(client, WRITE, files=[{"path": "../x", "content": "x"}])
    assert error_codes(body) == ["BAD_USER_INPUT"]
    body = await run(client, READ, path="/etc/passwd")
    assert "BAD_USER_INPUT" in error_codes(body)
    assert error_codes(await run(client, CREATE)) == ["CONFLICT"]

    body = await run(client, DELETE)
    assert body["data"]["deleteCodelabWorkspace"]["codelabId"] == gid
    assert set(error_codes(await run(client, READ, path="a"))) == {"NOT_FOUND"}


@pytest.fixture
async def other(database_url, services):
    """A second app instance on the same database and the same data directory."""
    instance = await start_instance(database_url, data_dir=services.settings.data_dir)
    yield instance
    await instance.stop()


async def test_parallel_writes_on_two_instances_all_land(client, server, other, services):
    instructor = await create_user(services, email="ines@example.com", roles=["INSTRUCTOR"])
    headers = await bearer_for(services, instructor)
    response = await client.post(f"{API}/codelabs", json={"title": "Parallel"},
                                 headers=headers)
    codelab = response.json()
    response = await client.post(CS, json={"codelab_id": codelab["id"]}, headers=headers)
    assert response.status_code == 200, response.text
    async with httpx.AsyncClient(base_url=other.base_url, timeout=30) as there:
        async def write(http, index: int):
            return await http.post(f"{CS}/{codelab['id']}/branches/main/files", headers=headers,
                                   json={"files": [{"path": f"notes/{index}.md",
                                                    "content": f"note {index}"}],
                                         "commit_message": f"Note {index}"})

        responses = await asyncio.gather(*(write(client if i % 2 else there, i)
                                           for i in range(12)))
    assert [r.status_code for r in responses] == [200] * 12
    files = (await client.get(f"{CS}/{codelab['id']}/branches/main/files",
                              headers=headers)).json()
    assert files == sorted(f"notes/{i}.md" for i in range(12))
    with Repo(str(_root(services, codelab))) as repo:
        messages = [entry.commit.message for entry in repo.get_walker()]
    assert sorted(messages) == sorted([f"Note {i}\n".encode() for i in range(12)]
                                      + [b"Create workspace\n"])
    assert sorted(p.name for p in (_root(services, codelab) / "notes").iterdir()) == sorted(
        f"{i}.md" for i in range(12))


async def test_a_workspace_whose_files_went_missing_can_be_deleted_and_made_again(
        client, new_client, services):
    codelab, _ = await _room(client, new_client)
    one = f"{CS}/{codelab['id']}"
    await _create(client, codelab)
    shutil.rmtree(_root(services, codelab))
    for path in ("/branches", "/branches/main/files", "/download"):
        response = await client.get(one + path)
        assert (response.status_code, response.json()) == (404, {
            "error": "The workspace's files are missing; delete it and create it again"}), path
    assert (await client.delete(one, headers=csrf(client))).status_code == 204
    await _create(client, codelab)
    assert (await client.get(f"{one}/branches/main/files")).json() == ["README.md",
                                                                      "src/main.rs"]
