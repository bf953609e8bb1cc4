"""Every connection has GitHub's ``nodes`` shortcut: the page's items without cursors,
the same items as ``edges { node }``, in the same order; and ``totalCount``: how many
items the whole list holds (the viewer's rules and the filters applied, not the page),
the same on the planned and the general path, counted only when selected."""

from __future__ import annotations

import functools
import itertools

from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType
from strawberry import relay

from core.pagination import encode_cursor
from resolvers.demo import seed_demo
from schema import build_schema
from tests.fixtures import count_statements, gql
from tests.twosigma.catalog_helpers import (
    Course,
    CourseOffering,
    Department,
    Subject,
    University,
    add,
    add_many,
    headers_for,
)

COURSES = """
query($first: Int, $after: String) { courses(first: $first, after: $after) {
  nodes { id title }
  edges { node { id title } }
  pageInfo { endCursor }
} }"""


def _item_type(field_type) -> str:
    while isinstance(field_type, GraphQLNonNull | GraphQLList):
        field_type = field_type.of_type
    return field_type.name


@functools.cache
def _types() -> dict:
    return build_schema()._schema.type_map


def _connections() -> dict[str, GraphQLObjectType]:
    return {name: t for name, t in _types().items()
            if name.endswith("Connection") and isinstance(t, GraphQLObjectType)
            and "edges" in t.fields}


def test_every_connection_has_nodes_of_its_edges_type():
    types = _types()
    connections = _connections()
    assert len(connections) >= 30
    for name, connection in connections.items():
        assert "nodes" in connection.fields, name
        edge = types[_item_type(connection.fields["edges"].type)]
        assert _item_type(connection.fields["nodes"].type) == _item_type(
            edge.fields["node"].type), name
        assert str(connection.fields["nodes"].type).endswith("!]!"), name


async def test_nodes_are_the_edges_nodes_page_by_page(client, services):
    await seed_demo(services)
    first = (await gql(client, COURSES, {"first": 2}))["courses"]
    assert len(first["nodes"]) == 2
    assert first["nodes"] == [edge["node"] for edge in first["edges"]]
    second = (await gql(client, COURSES, {"first": 2, "after": first["pageInfo"]["endCursor"]}))
    assert second["courses"]["nodes"] == [e["node"] for e in second["courses"]["edges"]]
    assert not {n["id"] for n in first["nodes"]} & {n["id"] for n in second["courses"]["nodes"]}


def test_every_connection_has_a_described_total_count():
    connections = _connections()
    assert len(connections) >= 30
    for name, connection in connections.items():
        field = connection.fields.get("totalCount")
        assert field is not None, name
        assert str(field.type) == "Int!", name
        assert field.description and "not `first`" in field.description, name


_documents = itertools.count()


async def both_paths(client, services, query: str, variables: dict | None = None,
                     headers: dict | None = None) -> dict:
    """The data of ``query`` as the general executor answers it (a document's first
    answer), checked equal to its plan's (the next answer: one statement)."""
    query += f"\n# {next(_documents)}"  # a document of its own: first answered in general
    general = await gql(client, query, variables, headers=headers)
    with count_statements(services) as counter:
        planned = await gql(client, query, variables, headers=headers)
    assert [s for s in counter.statements if "json_build_object" in s], query
    assert planned == general
    return planned


CATALOG = """query($a: String) {
  universities(first: 5) { totalCount nodes { name departments(first: 1) { totalCount } } }
  subjects(first: 1, after: $a) { totalCount nodes { name } pageInfo { hasNextPage } }
  courses(first: 1) { totalCount nodes { title offerings(first: 1) { totalCount } } }
}"""


async def _catalog(services) -> dict:
    """Two universities (one without departments), three subjects, a published course with
    offerings of every visibility and a draft one."""
    harvard = await add(services, University, name="Harvard", description="")
    await add(services, University, name="Empty", description="")
    await add_many(services, Department, [{"university_id": harvard.id, "name": n,
                                           "description": ""} for n in ("CS", "Maths")])
    subjects = await add_many(services, Subject, [{"name": n, "description": ""}
                                                  for n in ("A", "B", "C")])
    published = await add(services, Course, title="Published", code="P", is_published=True,
                          university_id=harvard.id)
    await add(services, Course, title="Draft", code="D", is_published=False)
    await add_many(services, CourseOffering, [
        {"course_id": published.id, "term_name": v, "visibility": v}
        for v in ("PUBLIC", "UNLISTED", "PRIVATE", "PUBLIC")])
    return {"a": encode_cursor([subjects[0]]), "u": relay.to_base64("University", harvard.id)}


async def test_total_count_is_the_whole_lists_on_both_paths(client, services):
    """Root lists, nested lists (an empty one too), a page after a cursor, and lists the
    viewer's rules filter: a visitor sees the published course and its public offerings,
    an admin every course and offering."""
    ids = await _catalog(services)
    admin = await headers_for(services, "admin@example.com", ["PLATFORM_ADMIN"])
    for headers, courses, offerings in (({}, 1, 2), (admin, 2, 4)):
        data = await both_paths(client, services, CATALOG, {"a": ids["a"]}, headers)
        assert data["universities"] == {"totalCount": 2, "nodes": [
            {"name": "Harvard", "departments": {"totalCount": 2}},
            {"name": "Empty", "departments": {"totalCount": 0}}]}
        assert data["subjects"] == {"totalCount": 3, "nodes": [{"name": "B"}],
                                    "pageInfo": {"hasNextPage": True}}
        assert data["courses"]["totalCount"] == courses
        assert data["courses"]["nodes"] == [
            {"title": "Published", "offerings": {"totalCount": offerings}}]


async def test_total_count_is_counted_only_when_selected(client, services):
    """The general path counts a list it reads a window of in SQL only when the field is
    asked: one statement more. The list's arguments filter what it counts."""
    ids = await _catalog(services)
    admin = await headers_for(services, "admin@example.com", ["PLATFORM_ADMIN"])
    lengths, statements = [], []
    for counted in ("", "totalCount"):
        query = f"{{ courses(first: 1) {{ {counted} nodes {{ title }} }} }}\n# {next(_documents)}"
        with count_statements(services) as counter:
            data = await gql(client, query, headers=admin)
        lengths.append(len(counter))
        statements.append([s for s in counter.statements if "count(*)" in s])
    assert data["courses"]["totalCount"] == 2
    assert lengths[1] == lengths[0] + 1
    assert (len(statements[0]), len(statements[1])) == (0, 1)
    filtered = await gql(client, "query($u: ID!) { courses(universityId: $u, first: 1) { "
                                 "totalCount } }", {"u": ids["u"]}, headers=admin)
    assert filtered["courses"]["totalCount"] == 1
