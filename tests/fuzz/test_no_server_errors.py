"""Property-based run over every REST operation and every GraphQL root field.

Schemathesis reads the OpenAPI document of the REST faces and the GraphQL schema's
introspection (both built from the code, as the app serves them: a check below
holds the served ones to them), generates requests from them, and sends each over
real HTTP to an app instance on a fresh database of its own: once
without credentials (sometimes with made-up ones) and once as a signed-in platform
admin (a Bearer token and the ``access_token`` cookie). No answer may be a 5xx,
and no GraphQL error may carry ``INTERNAL_SERVER_ERROR``, with one exception: the
502 ``LLM_INVALID_ANSWER`` by which the app refuses an LLM answer that breaks a
rule of its form, when that answer was made up by the run's fake LLM (see
tests/fuzz/llm.py). A face or a field added
later is in the documents, so it is covered without touching this file.

The run is sized for CI: ``LEARNGRAPH_FUZZ_EXAMPLES`` generated cases per operation
and variant (default 1), and the /compat/<face>/ copies of the faces on the main
port are left to the long run. The seed changes every day; a failure names it, and
``LEARNGRAPH_FUZZ_SEED=<seed>`` replays the same cases. ``make fuzz`` runs it long.
"""

from __future__ import annotations

import datetime
import os
import re

import hypothesis
import pytest
import requests
import schemathesis
from graphql import get_introspection_query, introspection_from_schema
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig

from core.app import main_port_faces
from core.llm import INVALID_ANSWER
from rest_compat import FACES, openapi
from schema import build_schema
from tests.fixtures import make_settings
from tests.fuzz.server import FuzzServer

SEED = int(os.environ.get("LEARNGRAPH_FUZZ_SEED")
           or datetime.datetime.now(datetime.UTC).strftime("%Y%m%d"))
EXAMPLES = int(os.environ.get("LEARNGRAPH_FUZZ_EXAMPLES") or 1)
# The long run (make fuzz) adds the coverage phase (boundary values and each kind of
# invalid input, for every parameter) and the /compat/<face>/ copies of every face.
LONG_RUN = os.environ.get("LEARNGRAPH_FUZZ_LONG") == "1"

CONFIG = SchemathesisConfig.from_dict({
    "seed": SEED,
    "generation": {"mode": "all", "max-examples": EXAMPLES, "database": "none"},
    "phases": {"coverage": {"enabled": LONG_RUN},
               "stateful": {"enabled": False}},
})
SETTINGS = hypothesis.settings(max_examples=EXAMPLES, deadline=None, database=None,
                               print_blob=True, suppress_health_check=list(hypothesis.HealthCheck))


@pytest.fixture(scope="module")
def fuzz_server(pg_server_url):
    with FuzzServer(pg_server_url) as server:
        yield server


@pytest.fixture(scope="module")
def http():
    with requests.Session() as session:
        yield session


# Built at import, so pytest can collect one subtest per operation; the app serves
# these same documents (checked by test_the_fuzzed_documents_are_the_served_ones).
_SETTINGS = make_settings()
REST_DOCUMENT = openapi.document(FACES, main_port_faces(FACES, set(_SETTINGS.face_ports)))
GRAPHQL_INTROSPECTION = introspection_from_schema(build_schema(_SETTINGS)._schema)
# GraphQL multipart uploads are not generated; a JSON request can still send any
# literal where an Upload goes, and must get a 4xx for it.
schemathesis.graphql.scalar("Upload", st.text(max_size=40).map(schemathesis.graphql.nodes.String))
REST = schemathesis.openapi.from_dict(REST_DOCUMENT, config=CONFIG)
if not LONG_RUN:
    # A face on the main port is also under /compat/<face>/: the same routes behind a
    # mount. The short run sends its cases to the main port only; the long one to both.
    _on_main_port = [f.name for f in main_port_faces(FACES, set(_SETTINGS.face_ports))]
    REST = REST.exclude(path_regex=rf"^/compat/({'|'.join(map(re.escape, _on_main_port))})/")
GRAPHQL = schemathesis.graphql.from_dict(GRAPHQL_INTROSPECTION, config=CONFIG)


def test_the_fuzzed_documents_are_the_served_ones(fuzz_server, http):
    assert http.get(f"{fuzz_server.base_url}/api/openapi.json").json() == REST_DOCUMENT
    # The query introspection_from_schema runs, with every option on.
    query = get_introspection_query(
        descriptions=True, specified_by_url=True, directive_is_repeatable=True,
        schema_description=True, input_value_deprecation=True,
        experimental_directive_deprecation=True, one_of=True)
    served = http.post(f"{fuzz_server.base_url}/graphql", json={"query": query}).json()
    assert served["data"] == GRAPHQL_INTROSPECTION


def _call(case, server: FuzzServer, http: requests.Session, *, signed_in: bool):
    headers, cookies = server.credentials() if signed_in else ({}, {})
    made_up = server.llm_answers_made_up
    response = case.call(base_url=server.base_url, session=http, headers=headers,
                         cookies=cookies, timeout=30, allow_redirects=False)
    refused_our_answer = (response.status_code == 502 and INVALID_ANSWER in response.text
                          and server.llm_answers_made_up > made_up)
    assert response.status_code < 500 or refused_our_answer, _failure(
        case, server, signed_in, response.status_code, response.text)
    return response


def _failure(case, server: FuzzServer, signed_in: bool, what, text: str) -> str:
    who = "as the signed-in admin" if signed_in else "without credentials"
    return (f"{what} from {case.operation.label} {who}; seed {SEED} "
            f"(LEARNGRAPH_FUZZ_SEED={SEED} replays the run)\n"
            f"{case.as_curl_command(base_url=server.base_url)}\n{text[:500]}")


def _no_internal_errors(case, server: FuzzServer, signed_in: bool, response) -> None:
    try:
        body = response.json()
    except ValueError:
        return
    errors = body.get("errors") if isinstance(body, dict) else None
    codes = [(e.get("extensions") or {}).get("code") for e in errors or []]
    assert "INTERNAL_SERVER_ERROR" not in codes, _failure(
        case, server, signed_in, "INTERNAL_SERVER_ERROR", response.text)


@REST.parametrize()
@SETTINGS
def test_rest_without_credentials(case, fuzz_server, http):
    _call(case, fuzz_server, http, signed_in=False)


@REST.parametrize()
@SETTINGS
def test_rest_signed_in(case, fuzz_server, http):
    _call(case, fuzz_server, http, signed_in=True)


@GRAPHQL.parametrize()
@SETTINGS
def test_graphql_without_credentials(case, fuzz_server, http):
    response = _call(case, fuzz_server, http, signed_in=False)
    _no_internal_errors(case, fuzz_server, False, response)


@GRAPHQL.parametrize()
@SETTINGS
def test_graphql_signed_in(case, fuzz_server, http):
    response = _call(case, fuzz_server, http, signed_in=True)
    _no_internal_errors(case, fuzz_server, True, response)
