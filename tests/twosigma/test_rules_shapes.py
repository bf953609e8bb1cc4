"""Shapes and helpers the faces share: the overview's enrollments are the enrollments
endpoint's, a shared chat's URL is the same over REST and GraphQL, new siblings go last,
and an offering's datetimes without an offset are UTC for every face."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from strawberry import relay

from models.course import CourseOffering, Module
from resolvers.chat_share import share_url
from tests.fixtures import bearer_for, create_user, error_codes, gql, gql_raw
from tests.twosigma.chat_helpers import learner, open_session, topic
from tests.twosigma.learner_helpers import add, content_type, course, enroll, offering

API = "/api/v1"


async def test_overview_enrollments_render_like_my_enrollments(client, services, user):
    cs = await course(services, title="Algebra", code="M1")
    term = await add(services, CourseOffering(
        course_id=cs.id, term_name="Fall", starts_at=datetime(2026, 9, 1, tzinfo=UTC),
        ends_at=datetime(2026, 12, 20, tzinfo=UTC)))
    older = await enroll(services, user, await offering(services, cs, "Spring"))
    newer = await enroll(services, user, term)
    headers = await bearer_for(services, user)

    overview = (await client.get(f"{API}/users/me/overview", headers=headers)).json()
    mine = (await client.get(f"{API}/enrollments/my-enrollments", headers=headers)).json()
    assert [e["id"] for e in overview["active_enrollments"]] == [newer.id, older.id]
    assert sorted(overview["active_enrollments"], key=lambda e: e["id"]) == mine
    assert overview["active_enrollments"][0] == {
        "id": newer.id, "user_id": user.number, "course_offering_id": term.id,
        "status": "ACTIVE", "enrolled_at": mine[1]["enrolled_at"], "completed_at": None,
        "course_offering": {"id": term.id, "term_name": "Fall",
                            "starts_at": "2026-09-01T00:00:00Z",
                            "ends_at": "2026-12-20T00:00:00Z",
                            "course": {"id": cs.id, "title": "Algebra", "code": "M1"}}}


SHARE = """
mutation($id: ID!) { shareChatSession(sessionId: $id) { shareToken shareUrl } }"""


async def test_share_url_is_the_same_over_rest_and_graphql(client, services):
    ada = await learner(services)
    session_id = (await open_session(client, ada, await topic(services)))["id"]
    headers = ada.headers

    rest = (await client.post(f"{API}/chat/sessions/{session_id}/share",
                              headers=headers)).json()
    token = rest["share_token"]
    assert rest == {"share_token": token, "share_url": f"/api/v1/chat/share/{token}"}
    data = await gql(client, SHARE, {"id": relay.to_base64("ChatSession", str(session_id))},
                     headers=headers)
    assert data["shareChatSession"] == {"shareToken": token, "shareUrl": share_url(token)}
    assert share_url(token) == rest["share_url"]
    public = await client.get(rest["share_url"])
    assert public.status_code == 200 and public.json()["id"] == session_id


CREATE_MODULE = """
mutation($input: CreateModuleInput!) { createModule(input: $input) {
  module { title sequenceIndex } } }"""
CREATE_ITEM = """
mutation($input: CreateContentItemInput!) { createContentItem(input: $input) {
  contentItem { title sequenceIndex } } }"""


async def teacher_course(client, services) -> tuple[dict, int]:
    """An instructor's headers and the id of a course they created over REST."""
    teacher = await create_user(services, email="t@example.com", roles=["INSTRUCTOR"])
    headers = await bearer_for(services, teacher)
    created = await client.post(f"{API}/courses/", json={"title": "Algo", "code": "CS1"},
                                headers=headers)
    return headers, created.json()["id"]


async def test_new_modules_and_items_go_after_their_last_sibling(client, services):
    headers, course_id = await teacher_course(client, services)
    gid = relay.to_base64("Course", str(course_id))
    indexes = []
    for title in ("A", "B"):
        data = await gql(client, CREATE_MODULE, {"input": {"courseId": gid, "title": title}},
                         headers=headers)
        indexes.append(data["createModule"]["module"]["sequenceIndex"])
    async with services.db.session() as session:
        first = (await session.execute(select(Module).where(Module.title == "A"))).scalar_one()
    child = await client.post(f"{API}/modules/", json={
        "course_id": course_id, "parent_module_id": first.id, "title": "A.1"}, headers=headers)
    assert indexes == [0, 1] and child.json()["sequence_index"] == 0

    kind = await content_type(services)
    items = []
    for title in ("one", "two", "three"):
        data = await gql(client, CREATE_ITEM, {"input": {
            "moduleId": relay.to_base64("Module", str(first.id)), "courseId": gid,
            "contentTypeId": relay.to_base64("ContentType", str(kind.id)), "title": title,
            **({"sequenceIndex": 7} if title == "two" else {})}}, headers=headers)
        items.append(data["createContentItem"]["contentItem"])
    assert items == [{"title": "one", "sequenceIndex": 0}, {"title": "two", "sequenceIndex": 7},
                     {"title": "three", "sequenceIndex": 8}]


CREATE_OFFERING = """
mutation($input: CreateCourseOfferingInput!) { createCourseOffering(input: $input) {
  courseOffering { startsAt endsAt } } }"""


async def test_offering_datetimes_without_an_offset_are_utc_on_both_faces(client, services):
    headers, course_id = await teacher_course(client, services)
    rest = await client.post(f"{API}/courses/{course_id}/offerings", json={
        "term_name": "Fall", "starts_at": "2026-09-01T08:00:00",
        "ends_at": "2026-12-01T00:00:00+02:00"}, headers=headers)
    assert rest.status_code == 201
    assert (rest.json()["starts_at"], rest.json()["ends_at"]) == (
        "2026-09-01T08:00:00Z", "2026-11-30T22:00:00Z")
    # 08:30+01:00 is 07:30 UTC, before an offset-less 08:00 taken as UTC: refused.
    early = await gql_raw(client, CREATE_OFFERING, {"input": {
        "courseId": relay.to_base64("Course", str(course_id)), "termName": "Spring",
        "startsAt": "2027-01-10T08:00:00", "endsAt": "2027-01-10T08:30:00+01:00"}},
        headers=headers)
    assert error_codes(early) == ["BAD_USER_INPUT"]
    assert early["errors"][0]["message"] == "ends_at must be after starts_at"
    data = await gql(client, CREATE_OFFERING, {"input": {
        "courseId": relay.to_base64("Course", str(course_id)), "termName": "Spring",
        "startsAt": "2027-01-10T08:00:00", "endsAt": "2027-01-10T09:30:00+01:00"}},
        headers=headers)
    assert data["createCourseOffering"]["courseOffering"] == {
        "startsAt": "2027-01-10T08:00:00+00:00", "endsAt": "2027-01-10T08:30:00+00:00"}
    async with services.db.session() as session:
        spring = (await session.execute(select(CourseOffering).where(
            CourseOffering.term_name == "Spring"))).scalar_one()
    assert spring.starts_at == datetime(2027, 1, 10, 8, tzinfo=UTC)
