"""The REST faces' OpenAPI document: valid OpenAPI 3.1, each operation once (the
/compat/<face> prefix as an alternative server, not as copies), a response for every
documented status with a schema the live answers fit, downloadable."""

from __future__ import annotations

import jsonschema
from openapi_spec_validator import validate

from core.app import main_port_faces
from rest_compat import FACES, openapi
from tests.codelabs.helpers import csrf, facilitator_login
from tests.codelabs.test_quizzes import QUIZ
from tests.fixtures import PASSWORD, bearer_for, create_user

MAIN = {face.name for face in main_port_faces(FACES, set())}


def _operations(document: dict):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


async def test_the_served_document_is_valid_openapi_and_downloadable(client):
    response = await client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    validate(response.json())

    download = await client.get("/api/openapi.json", params={"download": ""})
    assert download.headers["content-disposition"] == 'attachment; filename="openapi.json"'
    assert download.json() == response.json()


def test_each_operation_is_listed_once_with_the_compat_prefix_as_a_server():
    document = openapi.document(FACES, main_port_faces(FACES, set()))
    listed = {(path, method) for path, method, _ in _operations(document)}
    expected = set()
    for face in FACES:
        prefix = "" if face.name in MAIN else f"/compat/{face.name}"
        expected |= {(openapi._PARAM.sub(r"{\1}", prefix + face.base + r.path), r.method.lower())
                     for r in face.routes}
    assert listed == expected
    assert not any(path.startswith(f"/compat/{name}/") for path, _ in listed for name in MAIN)

    me = document["paths"]["/api/auth/me"]["get"]
    assert [s["url"] for s in me["servers"]] == ["/", "/compat/openlearning"]
    # A face whose paths collide is listed under its prefix, which is where the main
    # port serves it.
    session = document["paths"]["/compat/pickatale-account-center/api/auth/session"]["get"]
    assert "servers" not in session
    ids = [op["operationId"] for _, _, op in _operations(document)]
    assert len(ids) == len(set(ids))


def test_every_documented_status_has_a_response_schema():
    document = openapi.document(FACES, main_port_faces(FACES, set()))
    by_operation = {}
    for face in FACES:
        prefix = "" if face.name in MAIN else f"/compat/{face.name}"
        for route in face.routes:
            path = openapi._PARAM.sub(r"{\1}", prefix + face.base + route.path)
            by_operation.setdefault((path, route.method.lower()), (face, route))
    documented = openapi.documented_responses()
    for path, method, operation in _operations(document):
        face, route = by_operation[(path, method)]
        statuses = {int(s) for s in operation["responses"]}
        assert set(route.responses) <= statuses, (path, method)
        reference = documented.get(
            (face.platform, route.method, openapi._shape(face.base + route.path)), [])
        assert {e["status"] for e in reference if e["status"]} <= statuses, (path, method)
        if route.auth:
            assert 401 in statuses, (path, method)
        for status, response in operation["responses"].items():
            assert response["description"], (path, method, status)
            if int(status) in openapi.NO_BODY or route.returns.get(int(status), {}) is None:
                # 204s, redirects and JSON-RPC's accepted notification (202) have no body.
                assert "content" not in response
                continue
            [content] = response["content"].values()
            assert "schema" in content, (path, method, status)
            jsonschema.Draft202012Validator.check_schema(content["schema"])
            if int(status) >= 400:
                assert f"#/components/schemas/{face.name}.Error" in str(content["schema"])


def test_the_reference_examples_give_the_schema_of_a_success():
    document = openapi.document(FACES, main_port_faces(FACES, set()))
    ok = document["paths"]["/api/auth/me"]["get"]["responses"]["200"]
    schema = ok["content"]["application/json"]["schema"]
    assert schema["properties"]["hasApiKey"] == {"type": "boolean"}
    assert schema["properties"]["userId"] == {"type": "string"}
    assert set(schema["required"]) == {"userId", "displayName", "avatarUrl", "hasApiKey", "email"}
    assert ok["content"]["application/json"]["example"]["displayName"] == "octocat"
    # Three documented answers of one status are merged, each kept as an example.
    validate_key = document["paths"]["/api/auth/validate-key"]["post"]["responses"]["200"]
    merged = validate_key["content"]["application/json"]
    assert merged["schema"]["properties"]["error"] == {"type": ["string", "null"]}
    assert len(merged["examples"]) == 3
    # A server-sent event stream is documented as one.
    respond = document["paths"]["/api/assessment/{session_id}/respond"]["post"]
    assert "text/event-stream" in respond["responses"]["200"]["content"]
    # 204 has no body.
    assert "content" not in document["paths"]["/api/user/assessments/{session_id}"][
        "delete"]["responses"]["204"]


def test_schema_of_examples():
    assert openapi.schema_of([{"a": 1, "b": None}, {"a": 2.5, "b": "x"}]) == {
        "type": "object", "required": ["a", "b"],
        "properties": {"a": {"type": "number"}, "b": {"type": ["string", "null"]}}}
    assert openapi.schema_of([[{"id": 1}], []]) == {
        "type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"}},
                                   "required": ["id"]}}
    assert openapi.schema_of([None]) == {}
    assert openapi.schema_of([1, "one"]) == {"anyOf": [{"type": "integer"}, {"type": "string"}]}


async def test_live_answers_fit_their_documented_schemas(client, new_client):
    """Answers of each face, success and failure, validate against the document."""
    document = (await client.get("/api/openapi.json")).json()

    def check(path: str, method: str, status: int, body) -> None:
        response = document["paths"][path][method]["responses"][str(status)]
        schema = response["content"]["application/json"]["schema"]
        # The document's references (#/components/...) resolve inside the checked schema.
        validator = jsonschema.Draft202012Validator(
            {**schema, "components": document["components"]})
        errors = [e.message for e in validator.iter_errors(body)]
        assert not errors, (path, method, status, body, errors)

    health = await client.get("/api/health")
    check("/api/health", "get", 200, health.json())
    register = await client.post("/api/auth/register",
                                 json={"email": "fit@example.com", "password": "long enough pw"})
    check("/api/auth/register", "post", 200, register.json())
    again = await client.post("/api/auth/register",
                              json={"email": "fit@example.com", "password": "long enough pw"})
    assert again.status_code == 409
    check("/api/auth/register", "post", 409, again.json())
    me = await client.get("/api/auth/me")
    check("/api/auth/me", "get", 200, me.json())
    invalid = await client.post("/api/auth/register", json={"email": 7})
    assert invalid.status_code == 422
    check("/api/auth/register", "post", 422, invalid.json())

    available = await client.post("/api/v1/auth/check-email", json={"email": "new@example.com"})
    check("/api/v1/auth/check-email", "post", 200, available.json())
    anonymous = new_client()
    unauthorized = await anonymous.get("/api/v2/agent/workspaces/x/blocks")
    assert unauthorized.status_code == 401
    check("/api/v2/agent/workspaces/{workspace_id}/blocks", "get", 401, unauthorized.json())


def test_no_success_has_a_generic_schema():
    """Every success status says what it answers: a JSON schema that names its type, a
    body of another media type, or no body at all."""
    document = openapi.document(FACES, main_port_faces(FACES, set()))
    generic = []
    for path, method, operation in _operations(document):
        for status, response in operation["responses"].items():
            if int(status) >= 400 or "content" not in response:
                continue
            for media_type, content in response["content"].items():
                schema = content["schema"]
                if media_type == "application/json" and not (
                        {"type", "anyOf", "$ref", "const"} & set(schema)):
                    generic.append((path, method, status))
    assert generic == []


def _checker(document: dict):
    def check(path: str, method: str, response) -> None:
        """``response`` has a documented status, and its body fits that status's schema."""
        declared = document["paths"][path][method]["responses"]
        assert str(response.status_code) in declared, (path, method, response.status_code)
        documented = declared[str(response.status_code)]
        if "content" not in documented:
            assert response.content == b"", (path, method)
            return
        content = documented["content"]
        media_type = response.headers["content-type"].split(";")[0]
        assert media_type in content, (path, method, media_type, list(content))
        if media_type != "application/json":
            return
        validator = jsonschema.Draft202012Validator(
            {**content[media_type]["schema"], "components": document["components"]})
        errors = [e.message for e in validator.iter_errors(response.json())]
        assert not errors, (path, method, response.status_code, response.json(), errors)

    return check


async def test_rendered_answers_fit_the_schemas_taken_from_their_renderers(client, services):
    """A sample of answers whose schemas come from the faces' renderers (not from the
    references' examples) validate against them, statuses included."""
    check = _checker((await client.get("/api/openapi.json")).json())
    admin = await bearer_for(services, await create_user(
        services, email="root@example.com", roles=["PLATFORM_ADMIN"]))
    api = "/api/v1"

    made = await client.post(f"{api}/universities/", headers=admin, json={
        "name": "Fit University", "short_name": None})
    check(f"{api}/universities/", "post", made)
    university = made.json()["id"]
    check(f"{api}/universities/", "get", await client.get(f"{api}/universities/"))
    one = f"{api}/universities/{{university_id}}"
    check(one, "get", await client.get(f"{api}/universities/{university}"))
    check(one, "put", await client.put(f"{api}/universities/{university}", headers=admin,
                                       json={"description": "Fits"}))
    department = await client.post(f"{api}/universities/{university}/departments",
                                   headers=admin, json={"name": "Maths", "code": "M"})
    check(f"{api}/universities/{{university_id}}/departments", "post", department)
    kind = await client.post(f"{api}/content-types/", headers=admin, json={
        "name": "fit", "label": "Fit", "required_fields": ["a"]})
    check(f"{api}/content-types/", "post", kind)
    check(f"{api}/content-types/", "get", await client.get(f"{api}/content-types/"))
    check(f"{api}/users/", "get", await client.get(f"{api}/users/", headers=admin))
    check(f"{api}/users/me", "put", await client.put(f"{api}/users/me", headers=admin,
                                                     json={"full_name": "Root"}))
    for report in ("overview", "engagement", "progress", "assessments", "community",
                   "llm-usage", "cache"):
        check(f"{api}/admin/analytics/{report}", "get",
              await client.get(f"{api}/admin/analytics/{report}", headers=admin))
    check(f"{api}/admin/aws-credentials/status", "get",
          await client.get(f"{api}/admin/aws-credentials/status", headers=admin))
    check(one, "delete", await client.delete(f"{api}/universities/{university}",
                                             headers=admin))
    login = await client.post(f"{api}/auth/login", json={"email": "root@example.com",
                                                         "password": PASSWORD})
    check(f"{api}/auth/login", "post", login)


async def test_codelabs_answers_fit_their_documented_schemas(client, new_client):
    """The Codelabs face's answers, for its facilitator and an attendee, successes and
    refusals, validate against the document."""
    check = _checker((await client.get("/api/openapi.json")).json())
    api = "/api"
    check(f"{api}/session", "get", await client.get(f"{api}/session"))  # 401: no session
    await facilitator_login(client)
    check(f"{api}/session", "get", await client.get(f"{api}/session"))
    made = await client.post(f"{api}/codelabs", headers=csrf(client), json={
        "title": "Fit", "description": "Schemas", "author": "Jane Doe", "quiz_enabled": True})
    check(f"{api}/codelabs", "post", made)
    codelab = made.json()
    one = f"{api}/codelabs/{{id}}"
    url = f"{api}/codelabs/{codelab['id']}"
    check(f"{one}/steps", "put", await client.put(f"{url}/steps", headers=csrf(client), json={
        "steps": [{"title": "Start", "content": "Read me"}]}))
    check(f"{api}/codelabs", "get", await client.get(f"{api}/codelabs"))
    check(one, "get", await client.get(url))
    check(one, "put", await client.put(url, headers=csrf(client), json={
        "title": "Fit again", "description": "Schemas", "author": "Jane Doe"}))
    check(f"{one}/quizzes", "put", await client.put(f"{url}/quizzes", headers=csrf(client),
                                                    json=QUIZ))

    jane = new_client()
    registered = await jane.post(f"{url}/register", headers=csrf(jane), json={
        "name": "Jane", "code": codelab["attendance_code"], "email": "jane@example.com"})
    check(f"{one}/register", "post", registered)
    again = await new_client().post(f"{url}/register", json={
        "name": "Jane", "code": codelab["attendance_code"], "email": "jane@example.com"})
    check(f"{one}/register", "post", again)  # 409: the email is taken in this codelab
    quizzes = await jane.get(f"{url}/quizzes")
    check(f"{one}/quizzes", "get", quizzes)
    check(f"{one}/quizzes/submit", "post", await jane.post(
        f"{url}/quizzes/submit", headers=csrf(jane), json={"submissions": [
            {"quiz_id": quizzes.json()[0]["id"], "answer": "B"}]}))
    check(f"{one}/help", "post", await jane.post(f"{url}/help", headers=csrf(jane),
                                                 json={"step_number": 1}))
    check(f"{one}/feedback", "post", await jane.post(
        f"{url}/feedback", headers=csrf(jane), json={"difficulty": 3, "satisfaction": 5}))
    check(f"{one}/feedback", "get", await jane.get(f"{url}/feedback"))  # 403: facilitators'
    check(f"{one}/complete", "post", await jane.post(f"{url}/complete", headers=csrf(jane)))

    for path in ("attendees", "help", "feedback", "quizzes/submissions", "materials",
                 "submissions", "chat"):
        check(f"{one}/{path}", "get", await client.get(f"{url}/{path}"))
    check(f"{one}/copy", "post", await client.post(f"{url}/copy", headers=csrf(client)))
    check(one, "get", await client.get(f"{api}/codelabs/codelab_nope"))  # 404
    check(one, "delete", await client.delete(url, headers=csrf(client)))
