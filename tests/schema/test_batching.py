"""Nested lists under a list load through per-request DataLoaders: the number of SQL
statements stays the same whether the outer list has 2 rows or 10, and the rows each
parent gets are its own."""

from __future__ import annotations

from strawberry import relay

from models.course import Enrollment
from models.learning import ModuleProgress
from tests.fixtures import count_statements, create_user, error_codes, gql, gql_raw
from tests.twosigma.catalog_helpers import (
    Course,
    CourseOffering,
    Department,
    Module,
    University,
    add,
    add_many,
    user_with_headers,
)

UNIVERSITIES = """
{ universities(first: 20) { edges { node {
    name
    departments(first: 10) {
      edges { node { name code university { name } } }
      pageInfo { hasNextPage }
    }
} } } }"""

USERS = """
{ users(first: 20) { edges { node {
    displayName
    enrollments(first: 10) { edges { node { status } } pageInfo { hasNextPage } }
    progress(first: 10) { edges { node { progressPercent moduleId courseOfferingId } } }
} } } }"""

USER_PROGRESS = """
query($id: ID!, $o: ID, $first: Int, $after: String, $last: Int, $before: String) {
  node(id: $id) { ... on User {
    progress(courseOfferingId: $o, first: $first, after: $after, last: $last,
             before: $before) {
      edges { cursor node { progressPercent } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  } }
}"""


def gid(type_name: str, value: object) -> str:
    return relay.to_base64(type_name, str(value))


async def test_departments_under_universities_load_in_one_batch(client, services):
    counts = []
    for total in (2, 10):
        start = 0 if total == 2 else 2
        for i in range(start, total):
            university = await add(services, University, name=f"U{i:02}")
            await add_many(services, Department, [
                {"university_id": university.id, "name": f"D{i:02}-{j}", "code": f"C{j}"}
                for j in range(2)])
        with count_statements(services) as counter:
            # A document new to the server runs through the general executor's loaders
            # (a known one is planned into one statement).
            data = await gql(client, UNIVERSITIES + f"# {total}\n")
        counts.append(len(counter))

        nodes = [e["node"] for e in data["universities"]["edges"]]
        assert [n["name"] for n in nodes] == [f"U{i:02}" for i in range(total)]
        for i, node in enumerate(nodes):
            assert node["departments"] == {"edges": [
                {"node": {"name": f"D{i:02}-{j}", "code": f"C{j}",
                          "university": {"name": f"U{i:02}"}}} for j in range(2)],
                "pageInfo": {"hasNextPage": False}}
    assert counts[0] == counts[1] <= 2, counts  # universities, departments


async def test_departments_page_within_each_university(client, services):
    university = await add(services, University, name="MIT")
    await add_many(services, Department, [
        {"university_id": university.id, "name": f"D{j}"} for j in range(3)])
    query = """query($first: Int, $after: String) { universities(first: 1) { edges { node {
        departments(first: $first, after: $after) {
          edges { node { name } } pageInfo { hasNextPage endCursor } } } } } }"""

    def departments(data: dict) -> dict:
        return data["universities"]["edges"][0]["node"]["departments"]

    page = departments(await gql(client, query, {"first": 2}))
    rest = departments(await gql(client, query, {"first": 2,
                                                 "after": page["pageInfo"]["endCursor"]}))
    beyond = departments(await gql(client, query, {"first": 2,
                                                   "after": rest["pageInfo"]["endCursor"]}))
    zero = await gql_raw(client, query, {"first": 0})
    bad = await gql_raw(client, query, {"first": 2, "after": "nope"})

    assert [e["node"]["name"] for e in page["edges"]] == ["D0", "D1"]
    assert page["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["name"] for e in rest["edges"]] == ["D2"]
    assert rest["pageInfo"]["hasNextPage"] is False
    assert beyond == {"edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}
    assert error_codes(zero) == ["BAD_USER_INPUT"]
    assert error_codes(bad) == ["BAD_USER_INPUT"]


async def _learners_with_records(services, offerings: list, modules: list, start: int,
                                 total: int) -> None:
    """Learners L{start}..L{total-1}, each enrolled in both offerings (the second one
    COMPLETED) with progress on both modules (10 * learner + module index)."""
    for i in range(start, total):
        learner = await create_user(services, email=f"l{i:02}@example.com",
                                    display_name=f"L{i:02}")
        async with services.db.transaction() as session:
            session.add(Enrollment(user_id=learner.id, course_offering_id=offerings[0].id))
            session.add(Enrollment(user_id=learner.id, course_offering_id=offerings[1].id,
                                   status="COMPLETED"))
            for j, module in enumerate(modules):
                session.add(ModuleProgress(user_id=learner.id, module_id=module.id,
                                           course_offering_id=offerings[j].id,
                                           progress_percent=10 * i + j))


async def test_enrollments_and_progress_under_admin_users_load_in_batches(client, services):
    _, headers = await user_with_headers(services, "admin@example.com", ["PLATFORM_ADMIN"])
    course = await add(services, Course, title="Algorithms", code="CS101")
    offerings = [await add(services, CourseOffering, course_id=course.id, term_name=term)
                 for term in ("Fall", "Spring")]
    modules = [await add(services, Module, course_id=course.id, title=f"M{j}",
                         sequence_index=j) for j in range(2)]
    counts = []
    for total in (2, 10):
        await _learners_with_records(services, offerings, modules, 0 if total == 2 else 2,
                                     total)
        # A document of its own each time: the general path answers it (a document the
        # server has answered is planned the next time).
        with count_statements(services) as counter:
            data = await gql(client, f"query Users{total} " + USERS, headers=headers)
        counts.append(len(counter))

        nodes = [e["node"] for e in data["users"]["edges"]]
        assert [n["displayName"] for n in nodes] == ["Ada"] + [f"L{i:02}" for i in range(total)]
        assert nodes[0]["enrollments"]["edges"] == [] and nodes[0]["progress"]["edges"] == []
        for i, node in enumerate(nodes[1:]):
            assert node["enrollments"] == {
                "edges": [{"node": {"status": "ACTIVE"}}, {"node": {"status": "COMPLETED"}}],
                "pageInfo": {"hasNextPage": False}}
            assert node["progress"]["edges"] == [
                {"node": {"progressPercent": 10 * i + j, "moduleId": gid("Module", m.id),
                          "courseOfferingId": gid("CourseOffering", offerings[j].id)}}
                for j, m in enumerate(modules)]
    assert counts[0] == counts[1] <= 4, counts  # viewer, users, enrollments, progress
    with count_statements(services) as counter:  # planned: one statement
        assert await gql(client, f"query Users{total} " + USERS, headers=headers) == data
    assert len(counter) == 2, counter.statements


async def test_user_progress_pages_both_ways_and_by_offering(client, services):
    _, headers = await user_with_headers(services, "admin@example.com", ["PLATFORM_ADMIN"])
    course = await add(services, Course, title="Algorithms", code="CS101")
    offerings = [await add(services, CourseOffering, course_id=course.id, term_name=term)
                 for term in ("Fall", "Spring")]
    learner, _ = await user_with_headers(services, "l@example.com")
    modules = [await add(services, Module, course_id=course.id, title=f"M{j}",
                         sequence_index=j) for j in range(4)]
    async with services.db.transaction() as session:
        for j, module in enumerate(modules):
            session.add(ModuleProgress(user_id=learner.id, module_id=module.id,
                                       course_offering_id=offerings[j % 2].id,
                                       progress_percent=j))

    async def progress(**variables) -> dict:
        data = await gql(client, USER_PROGRESS, {"id": gid("User", learner.id), **variables},
                         headers=headers)
        return data["node"]["progress"]

    def percents(page: dict) -> list[int]:
        return [e["node"]["progressPercent"] for e in page["edges"]]

    tail = await progress(last=3)
    before = await progress(last=3, before=tail["pageInfo"]["startCursor"])
    fall = await progress(first=10, o=gid("CourseOffering", offerings[0].id))
    beyond = await progress(first=2, after=tail["pageInfo"]["endCursor"])
    missing = await gql_raw(client, USER_PROGRESS, {"id": gid("User", learner.id), "first": 1,
                                                    "o": gid("CourseOffering", 999999)},
                            headers=headers)
    both = await gql_raw(client, USER_PROGRESS, {"id": gid("User", learner.id), "first": 1,
                                                 "last": 1}, headers=headers)

    assert percents(tail) == [1, 2, 3]
    assert tail["pageInfo"] | {"startCursor": None, "endCursor": None} == {
        "hasNextPage": False, "hasPreviousPage": True, "startCursor": None, "endCursor": None}
    assert percents(before) == [0]
    assert before["pageInfo"]["hasNextPage"] is True
    assert before["pageInfo"]["hasPreviousPage"] is False
    assert percents(fall) == [0, 2]
    assert beyond == {"edges": [], "pageInfo": {"hasNextPage": False, "hasPreviousPage": True,
                                                "startCursor": None, "endCursor": None}}
    assert error_codes(missing) == ["NOT_FOUND"]
    assert error_codes(both) == ["BAD_USER_INPUT"]
