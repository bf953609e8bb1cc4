"""The course tree reached other ways than one plain query: through fragments and aliases
(the batch prefetch reads them too), from a module or item fetched by ``node``, and from a
mutation payload (their nested fields load on demand)."""

from __future__ import annotations

from strawberry import relay

from models.learning import ContentProgress, ModuleProgress
from tests.fixtures import count_statements, gql
from tests.twosigma.catalog_helpers import (
    ContentItem,
    ContentType,
    Course,
    CourseOffering,
    Module,
    add,
    add_many,
    user_with_headers,
)

LEVEL = ("id title progress { progressPercent } "
         "content { id title contentType { name } progress { progressPercent } } ")
PLAIN = ("query($id: ID!) { node(id: $id) { ... on Course { modules(first: 10) { edges { node { "
         + LEVEL + "children { " + LEVEL + "children { " + LEVEL + "} } } } } } } }")
FRAGMENTS = """
fragment Item on ContentItem { id title ... on ContentItem { contentType { name } } }
fragment Level on Module {
  id title ... on Module { progress { progressPercent } }
  content { ...Item progress { progressPercent } }
}
query($id: ID!) { node(id: $id) { ... on Course { modules(first: 10) { edges { node {
  ...Level children { ...Level ... on Module { children { ...Level } } } } } } } } }"""


async def _tree(services, learner) -> tuple[Course, list[int], list[int]]:
    """A published course: 2 roots, 2 children each, 1 grandchild each, 2 items per module,
    progress on the first root and on its first item."""
    kind = await add(services, ContentType, name="video", label="Video")
    course = await add(services, Course, title="Tree", code="T1", is_published=True)
    offering = await add(services, CourseOffering, course_id=course.id, term_name="Now")
    roots = await add_many(services, Module, [
        {"course_id": course.id, "title": f"R{i}", "sequence_index": i} for i in range(2)])
    mids = await add_many(services, Module, [
        {"course_id": course.id, "parent_module_id": roots[i // 2], "title": f"M{i}",
         "sequence_index": i % 2} for i in range(4)])
    leaves = await add_many(services, Module, [
        {"course_id": course.id, "parent_module_id": mids[i], "title": f"L{i}",
         "sequence_index": 0} for i in range(4)])
    modules = roots + mids + leaves
    items = await add_many(services, ContentItem, [
        {"module_id": m, "course_id": course.id, "content_type_id": kind.id,
         "title": f"I{m}-{n}", "sequence_index": n} for m in modules for n in range(2)])
    await add(services, ModuleProgress, user_id=learner.id, module_id=roots[0],
              course_offering_id=offering.id, progress_percent=30)
    await add(services, ContentProgress, user_id=learner.id, content_item_id=items[0],
              course_offering_id=offering.id, progress_percent=70)
    return course, modules, items


async def test_fragments_fetch_the_same_tree_with_the_same_statements(client, services):
    learner, headers = await user_with_headers(services, "s@example.com")
    course, modules, items = await _tree(services, learner)
    variables = {"id": relay.to_base64("Course", course.id)}
    with count_statements(services) as plain_count:
        plain = await gql(client, PLAIN, variables, headers=headers)
    with count_statements(services) as fragment_count:
        fragments = await gql(client, FRAGMENTS, variables, headers=headers)
    assert fragments == plain
    assert len(fragment_count) == len(plain_count)
    root = plain["node"]["modules"]["edges"][0]["node"]
    assert root["progress"] == {"progressPercent": 30}
    first = root["content"][0]
    assert first == {"id": relay.to_base64("ContentItem", items[0]),
                     "title": f"I{modules[0]}-0", "contentType": {"name": "video"},
                     "progress": {"progressPercent": 70}}
    assert [c["title"] for c in root["children"]] == ["M0", "M1"]
    assert [c["children"][0]["title"] for c in root["children"]] == ["L0", "L1"]


async def test_aliases_with_different_selections_each_get_theirs(client, services):
    learner, headers = await user_with_headers(services, "s@example.com")
    course, _, _ = await _tree(services, learner)
    query = """query($id: ID!) { node(id: $id) { ... on Course { modules(first: 1) { edges {
      node { names: children { title } deep: children { title content { title }
        below: children { progress { progressPercent } } } } } } } } }"""
    data = await gql(client, query, {"id": relay.to_base64("Course", course.id)},
                     headers=headers)
    root = data["node"]["modules"]["edges"][0]["node"]
    assert root["names"] == [{"title": "M0"}, {"title": "M1"}]
    assert root["deep"] == [
        {"title": f"M{i}", "content": [{"title": f"I{m}-0"}, {"title": f"I{m}-1"}],
         "below": [{"progress": None}]}
        for i, m in ((0, _mid_id(root, 0)), (1, _mid_id(root, 1)))]


def _mid_id(root: dict, index: int) -> int:
    # Item titles carry their module's id; the aliases agree on the order of children.
    return int(root["deep"][index]["content"][0]["title"][1:].split("-")[0])


async def test_module_fetched_by_node_loads_its_subtree_on_demand(client, services):
    learner, headers = await user_with_headers(services, "s@example.com")
    _, modules, items = await _tree(services, learner)
    query = """query($id: ID!) { node(id: $id) { ... on Module { id title
      course { title } parent { title } progress { progressPercent }
      content { title contentType { name } progress { progressPercent } module { title } }
      children { title parent { title } children { title content { title } } } } } }"""
    data = await gql(client, query, {"id": relay.to_base64("Module", modules[0])},
                     headers=headers)
    assert data["node"] == {
        "id": relay.to_base64("Module", modules[0]), "title": "R0", "course": {"title": "Tree"},
        "parent": None, "progress": {"progressPercent": 30},
        "content": [{"title": f"I{modules[0]}-{n}", "contentType": {"name": "video"},
                     "progress": {"progressPercent": 70} if n == 0 else None,
                     "module": {"title": "R0"}} for n in range(2)],
        "children": [{"title": f"M{i}", "parent": {"title": "R0"},
                      "children": [{"title": f"L{i}", "content": [
                          {"title": f"I{modules[6 + i]}-{n}"} for n in range(2)]}]}
                     for i in range(2)]}

    item = await gql(client, """query($id: ID!) { node(id: $id) { ... on ContentItem { id
      contentType { name } progress { progressPercent } module { title children { title } }
    } } }""", {"id": relay.to_base64("ContentItem", items[0])}, headers=headers)
    assert item["node"] == {"id": relay.to_base64("ContentItem", items[0]),
                            "contentType": {"name": "video"}, "progress": {"progressPercent": 70},
                            "module": {"title": "R0", "children": [{"title": "M0"},
                                                                   {"title": "M1"}]}}


async def test_anonymous_viewer_gets_null_progress_on_demand(client, services):
    learner, _ = await user_with_headers(services, "s@example.com")
    _, modules, items = await _tree(services, learner)
    data = await gql(client, """query($m: ID!, $i: ID!) {
      m: node(id: $m) { ... on Module { progress { progressPercent }
        content { progress { progressPercent } } } }
      i: node(id: $i) { ... on ContentItem { progress { progressPercent } } } }""",
                     {"m": relay.to_base64("Module", modules[0]),
                      "i": relay.to_base64("ContentItem", items[0])})
    assert data == {"m": {"progress": None, "content": [{"progress": None}] * 2},
                    "i": {"progress": None}}


async def test_new_module_in_a_payload_resolves_its_nested_fields(client, services):
    teacher, headers = await user_with_headers(services, "t@example.com", ["INSTRUCTOR"])
    course = await add(services, Course, title="Mine", code="M1", created_by_id=teacher.id)
    data = await gql(client, """mutation($course: ID!) { createModule(input: {
      courseId: $course, title: "New" }) { module { title course { title } parent { title }
      children { title } content { title } progress { progressPercent } } } }""",
                     {"course": relay.to_base64("Course", course.id)}, headers=headers)
    assert data["createModule"]["module"] == {
        "title": "New", "course": {"title": "Mine"}, "parent": None, "children": [],
        "content": [], "progress": None}
