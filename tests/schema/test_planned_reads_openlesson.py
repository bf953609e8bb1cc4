"""The OpenLesson face's planned reads: organizations, API keys, workspaces, blocks, GHL
links and results, asked by an organization admin (session and key), a member (session
and key), a guest key, another organization's user, a user without the Teams tier, a key
without the scope, a platform admin and an anonymous visitor, answer the same bytes on
the planned and the general path (errors included: not found, forbidden, a bad id); a
planned answer is one SQL statement, which also takes the API key's per-minute count
(once per operation, as the general path does, and nothing when that path answers)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.auth import api_keys, secrets_box
from models.ghl import GhlLink
from models.organization import Organization, OrganizationGuest, OrganizationMember
from models.user import ApiKey
from models.workspace import Workspace, WorkspaceBlock
from tests.fixtures import (
    PROPERTY_EXAMPLES,
    bearer_for,
    count_statements,
    create_user,
    planned_answer,
    unbudgeted,
    without_sign_in,
)
from tests.openlesson.helpers import SCORING, grant
from tests.schema.test_planned_reads_property import fields
from tests.twosigma.catalog_helpers import add

W = "id title rootTopic status createdAt __typename"
B = "id title description isStart status __typename"
L = ("id workspaceId blockId status requestedDurationSeconds guestUserId startedAt expiresAt "
     "createdAt __typename")
R = ("id workspaceId blockId status completed overallScore gapAnalysis analysis __typename "
     "markerScores { id label score rationale __typename }")
K = "id name preview scopes createdAt rateLimit __typename"
M = "isOrgAdmin __typename organization { id name createdAt __typename }"

WORKSPACES = ["acme", "private", "other", "empty", "missing", "malformed", "upper", "braced"]
CORPUS: list[tuple[str, dict]] = []


def case(query: str, variables: dict | None = None) -> None:
    CORPUS.append((query, variables or {}))


for which in WORKSPACES:
    case(f"query($id: ID!) {{ workspace(id: $id) {{ {W} }} }}", {"id": which})
    case(f"query($w: ID!) {{ workspaceBlocks(workspaceId: $w) {{ {B} }} }}", {"w": which})
    case(f"query($w: ID!) {{ ghlLinks(workspaceId: $w) {{ {L} }} }}", {"w": which})
for w, link in (("acme", "pending"), ("acme", "completed"), ("acme", "started"),
                ("acme", "foreign"), ("other", "foreign"), ("acme", "missing"),
                ("acme", "malformed"), ("missing", "pending"), ("private", "pending")):
    case(f"query($w: ID!, $l: ID!) {{ ghlResult(workspaceId: $w, linkId: $l) {{ {R} }} }}",
         {"w": w, "l": link})
# every field alone
for root, selected, which in (("workspace(id: $id)", W, "acme"),
                              ("workspaceBlocks(workspaceId: $id)", B, "acme"),
                              ("ghlLinks(workspaceId: $id)", L, "acme")):
    for name in selected.split():
        case(f"query($id: ID!) {{ {root} {{ {name} }} }}", {"id": which})
for name in [*R.split()[:9], "markerScores { score id }", "markerScores { __typename }"]:
    case(f"query($w: ID!, $l: ID!) {{ ghlResult(workspaceId: $w, linkId: $l) {{ {name} }} }}",
         {"w": "acme", "l": "completed"})
case(f"{{ apiKeys {{ {K} }} }}")
case("{ apiKeys { preview } }")
case(f"{{ myOrganization {{ {M} }} }}")
case("{ myOrganization { organization { name } } }")
# several roots, aliases, fragments, directives, literal ids, other planned roots
case("query($id: ID!) { a: workspace(id: $id) { t: title } b: workspaceBlocks(workspaceId: $id)"
     " { ...F } c: ghlLinks(workspaceId: $id) { id status } me: myOrganization { organization "
     "{ name } } } fragment F on WorkspaceBlock { id isStart }", {"id": "acme"})
case("{ keys: apiKeys { name } me: myOrganization { isOrgAdmin } }")
case("query($id: ID!) { a: workspace(id: $id) { id } b: workspace(id: $id) { title } }",
     {"id": "other"})
for yes in (True, False):
    case("query($id: ID!, $yes: Boolean!) { workspace(id: $id) { title @include(if: $yes) "
         "status @skip(if: $yes) ... @include(if: $yes) { rootTopic } } ghlLinks(workspaceId:"
         " $id) @include(if: $yes) { id } myOrganization @skip(if: $yes) { isOrgAdmin } }",
         {"id": "acme", "yes": yes})
case("{ workspace(id: \"ACME\") { title } ghlLinks(workspaceId: \"ACME\") { status } }")
case("{ workspace(id: \"not a uuid\") { title } }")
case("{ subjects(first: 2) { edges { node { name } } } myOrganization { isOrgAdmin } "
     "__typename }")
case("query($id: ID!) { ghlResult(workspaceId: $id, linkId: \"COMPLETED\") { markerScores "
     "{ id label score rationale } } }", {"id": "acme"})
case("query($id: ID!) { workspace(id: $id) { title } subscriptionTier(userId: \"bm90\") }",
     {"id": "acme"})
case("query($id: ID) { workspace(id: $id) { title } }", {"id": 7})
case("query($id: ID = \"ACME\") { workspace(id: $id) { title } }")


async def seed(services) -> tuple[dict, dict]:
    """Two organizations with admins, members, a guest and workspaces (one outside any
    organization), blocks, and links in every state; the viewers' headers and the ids."""
    def key(**values):
        minted = api_keys.mint("gsk" if values.get("guest_id") else "sk")
        return minted, ApiKey(prefix=minted.prefix, secret_hash=minted.secret_hash,
                              last4=minted.last4, rate_limit=100_000, **values)

    admin = await create_user(services, email="admin@acme.test", display_name="Admin")
    member = await create_user(services, email="member@acme.test", display_name="Member")
    no_teams = await create_user(services, email="plain@acme.test", display_name="Plain")
    outsider = await create_user(services, email="boss@other.test", display_name="Boss")
    platform = await create_user(services, email="root@example.com", display_name="Root",
                                 roles=["PLATFORM_ADMIN"])
    for user in (admin, member, outsider):
        await grant(services, user)
    acme = await add(services, Organization, name="Acme Enablement", created_by=admin.id)
    other = await add(services, Organization, name="Other Org", created_by=outsider.id)
    for user, org, is_admin in ((admin, acme, True), (member, acme, False),
                                (no_teams, acme, False), (outsider, other, True)):
        await add(services, OrganizationMember, user_id=user.id, organization_id=org.id,
                  is_admin=is_admin)
    guest = await add(services, OrganizationGuest, organization_id=acme.id,
                      email="learner@example.com", created_by=admin.id)
    spaces = {}
    for name, org, owner in (("acme", acme, member), ("private", None, member),
                             ("other", other, outsider), ("empty", acme, admin)):
        spaces[name] = await add(services, Workspace, organization_id=org.id if org else None,
                                 owner_user_id=owner.id, title=f"{name} workspace",
                                 root_topic=f"{name} topic", initial_prompt="p")
    blocks = {}
    for name in ("acme", "other", "private"):
        for i in (2, 0, 1):
            blocks[name, i] = await add(services, WorkspaceBlock,
                                        workspace_id=spaces[name].id, position=i,
                                        title=f"{name} block {i}", description=f"show {i}",
                                        is_start=i == 0)
    now = datetime(2026, 3, 4, 5, 6, 7, 890, tzinfo=UTC)

    async def link(name, space, block, creator, **values):
        token = uuid.uuid4().hex
        return await add(services, GhlLink, workspace_id=spaces[space].id,
                         block_id=blocks[space, block].id, created_by=creator.id,
                         token_hash=api_keys.hash_token(token),
                         token_ciphertext=secrets_box.encrypt(services.settings.secret_key,
                                                              token),
                         **{"requested_duration_seconds": 900, **values})

    links = {
        "pending": await link("pending", "acme", 0, member),
        "completed": await link(
            "completed", "acme", 1, admin, guest_user_id=guest.id, status="completed",
            started_at=now, expires_at=now + timedelta(minutes=15),
            completed_at=now + timedelta(minutes=9), overall_score=SCORING["overall_score"],
            marker_scores=SCORING["marker_scores"], gap_analysis=SCORING["gap_analysis"],
            analysis={"summary": SCORING["summary"], "turns": 4}),
        "started": await link("started", "acme", 2, admin, started_at=now.replace(
            microsecond=0), expires_at=now + timedelta(minutes=30),
            requested_duration_seconds=1800),
        "foreign": await link("foreign", "other", 0, outsider),
        "private": await link("private", "private", 0, member),
    }
    minted = {}
    rows = {
        "admin key": dict(user_id=admin.id, name="admin key",
                          scopes=sorted({*api_keys.DEFAULT_SCOPES, *api_keys.ORG_SCOPES})),
        "member key": dict(user_id=member.id, name="member key",
                           scopes=sorted(api_keys.DEFAULT_SCOPES)),
        "guest key": dict(guest_id=guest.id, name="guest learner@example.com",
                          scopes=sorted(api_keys.GUEST_SCOPES)),
        "outsider key": dict(user_id=outsider.id, name="outsider key",
                             scopes=sorted(api_keys.DEFAULT_SCOPES)),
        "no teams key": dict(user_id=no_teams.id, name="plain key",
                             scopes=sorted(api_keys.DEFAULT_SCOPES)),
        "narrow key": dict(user_id=member.id, name="narrow key", scopes=["workspaces:read"]),
    }
    async with services.db.transaction() as session:
        for name, values in rows.items():
            minted[name], row = key(**values)
            session.add(row)
            await session.flush()
        _, row = key(user_id=member.id, name="revoked", scopes=["ghl:read"],
                     revoked_at=now)
        session.add(row)
    viewers = {"anonymous": {}, "admin": await bearer_for(services, admin),
               "member": await bearer_for(services, member),
               "platform admin": await bearer_for(services, platform),
               **{name: {"Authorization": f"Bearer {m.token}"} for name, m in minted.items()}}
    ids = {name: str(w.id) for name, w in spaces.items()}
    ids.update({f"{name}_link": str(li.id) for name, li in links.items()})
    ids.update(missing=str(uuid.uuid4()), malformed="not-a-uuid",
               upper=ids["acme"].upper(), braced="{" + ids["acme"] + "}")
    return viewers, ids


def resolve(value, ids: dict, field: str):
    if isinstance(value, dict):
        return {k: resolve(v, ids, k) for k, v in value.items()}
    if isinstance(value, str) and field == "l":
        return ids.get(f"{value}_link", ids.get(value, value))
    return ids.get(value, value) if isinstance(value, str) else value


def literal(query: str, ids: dict) -> str:
    return query.replace('"ACME"', f'"{ids["acme"]}"').replace(
        '"COMPLETED"', f'"{ids["completed_link"]}"')


def alike(expected: httpx.Response, answer: httpx.Response) -> bool:
    """The same bytes (the query budget's report aside); or, when several non-null root
    fields fail, the general path's answer on both (data null, one error with the same
    code and message): it names whichever failing field finished first."""
    if (answer.status_code, unbudgeted(answer.content)) == (
            expected.status_code, unbudgeted(expected.content)):
        return True

    def failure(response: httpx.Response):
        body = response.json()
        errors = body.get("errors") or []
        if body.get("data") is not None or len(errors) != 1:
            return None
        return response.status_code, errors[0]["message"], errors[0]["extensions"]["code"]

    return failure(expected) is not None and failure(expected) == failure(answer)


async def hits_since(services, headers: dict, since) -> int:
    """The per-minute hits counted for the viewer's key since ``since``."""
    token = headers.get("Authorization", "").removeprefix("Bearer ")
    if not api_keys.looks_like_api_key(token):
        return 0
    row = await services.db.read_row(
        "SELECT count(*) FROM rate_limit_hits r, unnest(r.hits) h WHERE r.key = "
        "'api_key:' || (SELECT id FROM api_keys WHERE secret_hash = $1) AND h >= $2",
        (api_keys.hash_token(token), since))
    return row[0]


async def now(services):
    return (await services.db.read_row("SELECT now()", ()))[0]


def test_the_corpus_holds_openlesson_documents():
    assert len(CORPUS) >= 75


async def test_openlesson_reads_answer_the_same_bytes_on_both_paths(
        server, general, clean_db, services):
    viewers, ids = await seed(services)
    planned_count = answered = 0
    mismatches, planned_queries = [], []
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as planned, \
            httpx.AsyncClient(base_url=general.base_url, timeout=30) as plain:
        for query, variables in CORPUS:
            body = {"query": literal(query, ids), "variables": resolve(variables, ids, "")}
            for viewer, headers in viewers.items():
                before = await now(services)
                expected = await plain.post("/graphql", json=body, headers=headers)
                general_hits = await hits_since(services, headers, before)
                asked = await planned_answer(planned, server, services, body, headers,
                                             mark=lambda: now(services))
                answer, learning = asked.answer, asked.learning
                planned_hits = await hits_since(services, headers, asked.marked)
                answered += 1
                if not (alike(expected, answer) and (learning is None
                                                    or alike(expected, learning))):
                    mismatches.append((viewer, query, variables, expected.content[:500],
                                       answer.content[:500]))
                # The key's per-minute count: once per operation with an agent field, on
                # either path (the planned one takes nothing when the general one answers).
                assert planned_hits == general_hits, (viewer, query, variables)
                reads = without_sign_in(asked.statements)
                if any("json_build_object" in s for s in reads) and len(reads) > 1:
                    # A guard sent it to the general path: only for that path's errors.
                    assert b'"errors"' in answer.content, (viewer, query, variables)
                elif any("json_build_object" in s for s in reads):
                    # One statement reads (and counts); a credential costs its check.
                    planned_count += 1
                    planned_queries.append((viewer, query))
                    if viewer.endswith("key") and ("workspace" in query or "ghl" in query):
                        assert planned_hits == 1, (viewer, query)
    assert mismatches == []
    assert answered == len(viewers) * len(CORPUS)
    # Every planned root answers from plans for most viewers; the rest are refusals.
    assert planned_count >= answered * 45 // 100, planned_count
    for root in ("workspace", "workspaceBlocks", "ghlLinks", "ghlResult", "apiKeys",
                 "myOrganization", "markerScores"):
        assert any(f"{root}(" in q or f"{root} {{" in q for _, q in planned_queries), root
    # A guest's organization and results are planned too.
    assert ("guest key", f"{{ myOrganization {{ {M} }} }}") in planned_queries
    assert any(v == "guest key" and "ghlResult" in q for v, q in planned_queries)


async def test_a_key_past_its_limit_is_refused_on_both_paths(
        server, general, clean_db, services):
    viewers, ids = await seed(services)
    headers = viewers["member key"]
    token = headers["Authorization"].removeprefix("Bearer ")
    async with services.db.transaction() as session:
        from sqlalchemy import update

        await session.execute(update(ApiKey).where(
            ApiKey.secret_hash == api_keys.hash_token(token)).values(rate_limit=3))
    body = {"query": "query($id: ID!) { workspace(id: $id) { title } }",
            "variables": {"id": ids["acme"]}}
    since = await now(services)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as planned, \
            httpx.AsyncClient(base_url=general.base_url, timeout=30) as plain:
        first = await planned.post("/graphql", json=body, headers=headers)  # learns the plan
        assert first.json()["data"] == {"workspace": {"title": "acme workspace"}}
        for _ in range(2):
            with count_statements(services) as counter:
                answer = await planned.post("/graphql", json=body, headers=headers)
            assert answer.json()["data"] == {"workspace": {"title": "acme workspace"}}
            assert [s for s in counter.statements if "json_build_object" in s]
            assert len([s for s in counter.statements
                        if not s.startswith("SELECT api_keys.")]) == 1
        assert await hits_since(services, headers, since) == 3
        refused = await planned.post("/graphql", json=body, headers=headers)
        expected = await plain.post("/graphql", json=body, headers=headers)
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert (refused.status_code, unbudgeted(refused.content)) == (
        expected.status_code, unbudgeted(expected.content))
    # A refused count is not recorded, on either path.
    assert await hits_since(services, headers, since) == 3


ROOT_SELECTIONS = {
    "workspace(id: $w)": (W.split(), []),
    "workspaceBlocks(workspaceId: $w)": (B.split(), []),
    "ghlLinks(workspaceId: $w)": (L.split(), []),
    "ghlResult(workspaceId: $w, linkId: $l)": (R.split()[:9], [
        ("markerScores", ["id", "label", "score", "rationale", "__typename"])]),
    "apiKeys": (K.split(), []),
    "myOrganization": (["isOrgAdmin", "__typename"], [
        ("organization", ["id", "name", "createdAt", "__typename"])]),
}


@st.composite
def agent_documents(draw) -> tuple[str, dict]:
    """One to three root fields (maybe aliased) of drawn selections, with the workspace
    and link their arguments name."""
    roots = draw(st.lists(st.sampled_from(sorted(ROOT_SELECTIONS)), min_size=1, max_size=3,
                          unique=True))
    parts = []
    for i, root in enumerate(roots):
        scalars, nested = ROOT_SELECTIONS[root]
        body = draw(fields(scalars, [(name, fields(inner, [])) for name, inner in nested]))
        alias = f"r{i}: " if draw(st.booleans()) else ""
        parts.append(f"{alias}{root} {{ {body} }}")
    selection = " ".join(parts)
    declared = [name for name, used in (("$w: ID!", "$w"), ("$l: ID!", "$l"),
                                        ("$on: Boolean!", "$on")) if used in selection]
    head = f"query({', '.join(declared)}) " if declared else ""
    return head + "{ " + selection + " }", {
        "w": draw(st.sampled_from(["acme", "acme", "other"])),
        "l": draw(st.sampled_from(["completed", "pending"])), "on": draw(st.booleans())}


@pytest.fixture
async def agent_seeded(clean_db, services):
    viewers, ids = await seed(services)
    return ids, {name: viewers[name] for name in ("admin key", "member", "guest key",
                                                  "outsider key")}


@settings(max_examples=PROPERTY_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=agent_documents())
async def test_drawn_agent_selections_answer_alike(server, general, agent_seeded, document):
    ids, viewers = agent_seeded
    query, spec = document
    variables = {name: value for name, value in {
        "w": ids[spec["w"]], "l": ids[f"{spec['l']}_link"], "on": spec["on"]}.items()
        if f"${name}" in query}
    # The general path's answer, then the planned instance's first (which teaches the
    # plan) and second (which uses it), for each viewer.
    urls = [f"{instance.base_url}/graphql" for instance in (general, server, server)]
    async with httpx.AsyncClient(timeout=10) as client:
        for headers in viewers.values():
            expected, *answers = [await client.post(url, headers=headers, json={
                "query": query, "variables": variables}) for url in urls]
            for answer in answers:
                assert alike(expected, answer), (query, variables, expected.content[:300],
                                                 answer.content[:300])
