"""GraphiQL share links: ``GET /graphql?query=…`` from a browser opens GraphiQL with the
query filled in by the page's own script, and never runs it.

Checked over HTTP with a browser's Accept header: this machine has no headless browser
to run the page's script, which reads ``query`` and ``variables`` from the address
(``core/static/graphiql/learngraph-graphiql.js``)."""

from __future__ import annotations

from sqlalchemy import func, select

from models.user import User
from tests.fixtures import gql

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
REGISTER = ('mutation { register(input: {email: "shared@example.com", password: '
            '"a long enough password", displayName: "Shared"}) { user { email } } }')


async def users(services) -> int:
    async with services.db.session() as session:
        return (await session.execute(select(func.count()).select_from(User))).scalar_one()


async def test_a_share_link_opens_graphiql_without_running_the_query(client, services):
    for params in ({"query": REGISTER}, {"query": REGISTER, "variables": '{"a": 1}'},
                   {"query": "{ viewer { kind } }", "operationName": "x"}):
        page = await client.get("/graphql", params=params, headers={"Accept": BROWSER_ACCEPT})
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert 'id="graphiql"' in page.text and "learngraph-graphiql.js" in page.text
        # The query is not written into the page: the page's script reads the address.
        assert "shared@example.com" not in page.text
    assert await users(services) == 0
    script = await client.get("/graphql/static/learngraph-graphiql.js")
    assert 'search.get("query")' in script.text and 'search.get("variables")' in script.text


async def test_clients_still_run_queries_over_get(client):
    for accept in ("application/json", "application/graphql-response+json", "*/*"):
        answer = await client.get("/graphql", params={"query": "{ viewer { kind } }"},
                                  headers={"Accept": accept})
        assert answer.status_code == 200, accept
        assert answer.json()["data"] == {"viewer": {"kind": "ANONYMOUS"}}
    bare = await client.get("/graphql", headers={"Accept": "*/*"})
    assert bare.headers["content-type"].startswith("text/html")
    assert await gql(client, "{ viewer { kind } }") == {"viewer": {"kind": "ANONYMOUS"}}
