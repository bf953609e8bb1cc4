"""The whole course tree in one GraphQL query, at a constant number of SQL statements."""

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

DEPTH = 8


def _tree_query(depth: int) -> str:
    level = ("id title moduleType progress { progressPercent completedAt } "
             "content { id title contentType { name } progress { progressPercent } } ")
    inner = level
    for _ in range(depth - 1):
        inner = f"{level} children {{ {inner} }}"
    return ("query($id: ID!) { node(id: $id) { ... on Course { title "
            "stats { modulesCount contentItemsCount } "
            "offerings(first: 5) { edges { node { termName } } } "
            f"modules(first: 20) {{ edges {{ node {{ {inner} }} }} }} }} }} }}")


TREE = _tree_query(DEPTH)
# Course statistics need a signed-in viewer, so anonymous viewers ask for the tree alone.
ANONYMOUS_TREE = TREE.replace("stats { modulesCount contentItemsCount } ", "")


async def _build(services, *, level_sizes: list[int], learner, kind_id: int) -> Course:
    """A published course whose tree has ``len(level_sizes)`` levels, one item per module,
    and progress rows for the learner on every third module and item."""
    course = await add(services, Course, title=f"Course {sum(level_sizes)}", code="C",
                       is_published=True)
    offering = await add(services, CourseOffering, course_id=course.id, term_name="Now")
    parents: list[int | None] = [None]
    all_modules: list[int] = []
    for depth, size in enumerate(level_sizes):
        ids = await add_many(services, Module, [
            {"course_id": course.id, "parent_module_id": parents[i % len(parents)],
             "title": f"L{depth}-{i}", "sequence_index": i // len(parents)}
            for i in range(size)])
        all_modules += ids
        parents = ids
    items = await add_many(services, ContentItem, [
        {"module_id": m, "course_id": course.id, "content_type_id": kind_id, "title": f"I{m}"}
        for m in all_modules])
    await add_many(services, ModuleProgress, [
        {"user_id": learner.id, "module_id": m, "course_offering_id": offering.id,
         "progress_percent": 50} for m in all_modules[::3]])
    await add_many(services, ContentProgress, [
        {"user_id": learner.id, "content_item_id": i, "course_offering_id": offering.id,
         "progress_percent": 100} for i in items[::3]])
    return course


def _walk(nodes: list[dict], depth: int = 1) -> tuple[int, int, int]:
    """(modules, deepest level, items) of a fetched tree."""
    count, deepest, items = 0, depth if nodes else 0, 0
    for node in nodes:
        count += 1
        items += len(node["content"])
        sub = _walk(node.get("children", []), depth + 1)
        count, deepest, items = count + sub[0], max(deepest, sub[1]), items + sub[2]
    return count, deepest, items


async def test_tree_query_costs_the_same_for_10_and_1000_modules(client, services):
    learner, headers = await user_with_headers(services, "s@example.com")
    video = await add(services, ContentType, name="video", label="Video")
    small = await _build(services, level_sizes=[1, 1, 1, 1, 1, 2, 2, 1], learner=learner,
                         kind_id=video.id)
    large = await _build(services, level_sizes=[10, 20, 40, 80, 160, 230, 230, 230],
                         learner=learner, kind_id=video.id)

    general: list[int] = []
    planned: list[int] = []
    await gql(client, TREE, {"id": relay.to_base64("Course", small.id)}, headers=headers)
    for course, expected in ((small, 10), (large, 1000)):
        variables = {"id": relay.to_base64("Course", course.id)}
        # A document new to the server runs through the general executor; a known one
        # (TREE, asked once above) is planned.
        for counts, query in ((general, TREE + f"# {expected}\n"), (planned, TREE)):
            with count_statements(services) as counter:
                data = await gql(client, query, variables, headers=headers)
            counts.append(len(counter))
            fetched = data["node"]
            roots = [e["node"] for e in fetched["modules"]["edges"]]
            assert _walk(roots) == (expected, DEPTH, expected)
            assert fetched["stats"] == {"modulesCount": expected, "contentItemsCount": expected}
            first = roots[0]
            assert first["progress"] == {"progressPercent": 50, "completedAt": None}
            assert first["content"][0]["progress"] == {"progressPercent": 100}
            assert first["content"][0]["contentType"] == {"name": "video"}

    assert general[0] == general[1]
    # auth + course + stats + offerings + roots, then per level: children, content,
    # content types (first level only, then cached), module and content progress.
    assert general[0] <= 5 + DEPTH * 4 + 1
    # The credential check, and one statement for the whole tree.
    assert planned == [2, 2]


async def test_tree_progress_is_null_for_anonymous_viewers(client, services):
    learner, _ = await user_with_headers(services, "s@example.com")
    video = await add(services, ContentType, name="video", label="Video")
    course = await _build(services, level_sizes=[1, 1, 1, 1, 1, 1, 1, 1], learner=learner,
                          kind_id=video.id)
    data = await gql(client, ANONYMOUS_TREE, {"id": relay.to_base64("Course", course.id)})
    root = data["node"]["modules"]["edges"][0]["node"]
    assert root["progress"] is None
    assert root["content"][0]["progress"] is None
    assert root["children"][0]["title"] == "L1-0"


COURSES = """
{ courses(first: 50) { edges { node { title university { name } department { name }
  primarySubject { name } stats { modulesCount }
  offerings(first: 5) { edges { node { termName course { code } } } }
  modules(first: 5) { edges { node { title children { title } content { title } } } } } } } }"""


async def test_course_list_with_nested_fields_costs_the_same_for_2_and_20_courses(
        client, services):
    video = await add(services, ContentType, name="video", label="Video")
    learner, headers = await user_with_headers(services, "s@example.com")
    counts = []
    for size in (2, 20):
        for _ in range(size - (2 if size == 20 else 0)):
            await _build(services, level_sizes=[2, 2], learner=learner, kind_id=video.id)
        with count_statements(services) as counter:
            data = await gql(client, COURSES, headers=headers)
        assert len(data["courses"]["edges"]) == size
        node = data["courses"]["edges"][0]["node"]
        assert node["offerings"]["edges"] == [{"node": {"termName": "Now",
                                                        "course": {"code": "C"}}}]
        assert [m["node"]["title"] for m in node["modules"]["edges"]] == ["L0-0", "L0-1"]
        assert node["modules"]["edges"][0]["node"]["children"] == [{"title": "L1-0"}]
        counts.append(len(counter))
    assert counts[0] == counts[1]
