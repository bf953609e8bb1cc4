"""Every connection has GitHub's ``nodes`` shortcut: the page's items without cursors,
the same items as ``edges { node }``, in the same order."""

from __future__ import annotations

from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType

from resolvers.demo import seed_demo
from schema import build_schema
from tests.fixtures import gql

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


def test_every_connection_has_nodes_of_its_edges_type():
    types = build_schema()._schema.type_map
    connections = {name: t for name, t in types.items()
                   if name.endswith("Connection") and isinstance(t, GraphQLObjectType)
                   and "edges" in t.fields}
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
