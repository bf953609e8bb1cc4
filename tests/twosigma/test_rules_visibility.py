"""Visibility rules that live in resolvers, not in GraphQL fields: who sees a feature
request author's email, and who reads a thread's posts through the nested field."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from strawberry import relay

from core.auth.viewer import Viewer
from core.context import Context
from core.errors import Forbidden, NotFound, Unauthenticated
from models.feedback import FeatureRequest
from models.user import User
from resolvers import community, feature_requests
from resolvers.feature_requests import FeatureRequestRow
from tests.fixtures import bearer_for, create_user, error_codes, gql, gql_raw
from tests.twosigma.learner_helpers import course, enroll, offering

SUBMIT = """mutation($input: SubmitFeatureRequestInput!) {
  submitFeatureRequest(input: $input) { featureRequest { id userEmail } } }"""
MINE = "query { myFeatureRequests(first: 10) { edges { node { title userEmail } } } }"
ALL = "query { featureRequests(first: 10) { edges { node { title userEmail } } } }"
NODE_EMAIL = "query($id: ID!) { node(id: $id) { ... on FeatureRequest { userEmail } } }"
IDEA = {"title": "Dark mode", "description": "A dark theme for the reader, please."}


def viewer_of(user: User, *roles: str) -> Viewer:
    return Viewer(kind="user", user_id=user.id, roles=frozenset(roles), user=user)


async def test_author_email_is_for_the_author_and_triagers_only(client, services):
    author = await create_user(services, email="stu@example.com", display_name="Stu")
    other = await create_user(services, email="oli@example.com", display_name="Oli")
    teacher = await create_user(services, email="tea@example.com", roles=["INSTRUCTOR"])
    admin = await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])
    created = (await gql(client, SUBMIT, {"input": IDEA},
                         headers=await bearer_for(services, author)))["submitFeatureRequest"]
    assert created["featureRequest"]["userEmail"] == "stu@example.com"

    # The author and the triagers see it over GraphQL.
    mine = await gql(client, MINE, headers=await bearer_for(services, author))
    assert mine["myFeatureRequests"]["edges"] == [
        {"node": {"title": "Dark mode", "userEmail": "stu@example.com"}}]
    for triager in (teacher, admin):
        listed = await gql(client, ALL, headers=await bearer_for(services, triager))
        assert listed["featureRequests"]["edges"] == [
            {"node": {"title": "Dark mode", "userEmail": "stu@example.com"}}]
        node = await gql(client, NODE_EMAIL, {"id": created["featureRequest"]["id"]},
                         headers=await bearer_for(services, triager))
        assert node["node"] == {"userEmail": "stu@example.com"}

    # Another student cannot reach the request, and the rule itself gives them null.
    node = await gql(client, NODE_EMAIL, {"id": created["featureRequest"]["id"]},
                     headers=await bearer_for(services, other))
    assert node["node"] is None
    async with services.db.session() as session:
        request = (await session.execute(select(FeatureRequest))).scalar_one()
    row = FeatureRequestRow(request=request, user_number=author.number,
                            user_email="stu@example.com", user_name="Stu")
    assert feature_requests.author_email(Context(services=services), row) is None
    assert feature_requests.author_email(
        Context(services=services, viewer=viewer_of(other)), row) is None
    assert feature_requests.author_email(
        Context(services=services, viewer=viewer_of(author)), row) == "stu@example.com"
    assert feature_requests.author_email(
        Context(services=services, viewer=viewer_of(teacher, "INSTRUCTOR")),
        row) == "stu@example.com"


CREATE_THREAD = """
mutation($input: CreateDiscussionThreadInput!) {
  createDiscussionThread(input: $input) { thread { id } }
}"""
CREATE_POST = """
mutation($input: CreateDiscussionPostInput!) {
  createDiscussionPost(input: $input) { post { id } }
}"""
THREAD_POSTS = """
query($id: ID!) { node(id: $id) { ... on DiscussionThread { title
  posts(first: 10) { edges { node { body } } } } } }"""
THREADS_WITH_POSTS = """
query($c: ID!) { discussionThreads(courseId: $c, first: 10) { edges { node { title
  posts(first: 10) { edges { node { body } } } } } } }"""


@pytest.fixture
async def thread(client, services, user):
    cs = await course(services)
    term = await offering(services, cs)
    await enroll(services, user, term)
    ada = await bearer_for(services, user)
    created = await gql(client, CREATE_THREAD, {"input": {
        "courseId": relay.to_base64("Course", str(cs.id)), "title": "Week 1", "body": "Hi"}},
        headers=ada)
    thread_id = created["createDiscussionThread"]["thread"]["id"]
    await gql(client, CREATE_POST, {"input": {"threadId": thread_id, "body": "First!"}},
              headers=ada)
    return {"id": thread_id, "number": int(relay.from_base64(thread_id)[1]),
            "course": relay.to_base64("Course", str(cs.id)), "ada": ada}


async def test_non_members_cannot_read_posts_through_the_nested_field(client, services,
                                                                      thread):
    # A member reads the posts, through the node and through the course's thread list.
    data = await gql(client, THREAD_POSTS, {"id": thread["id"]}, headers=thread["ada"])
    assert data["node"] == {"title": "Week 1",
                            "posts": {"edges": [{"node": {"body": "First!"}}]}}
    data = await gql(client, THREADS_WITH_POSTS, {"c": thread["course"]},
                     headers=thread["ada"])
    assert data["discussionThreads"]["edges"] == [
        {"node": {"title": "Week 1", "posts": {"edges": [{"node": {"body": "First!"}}]}}}]

    outsider = await create_user(services, email="out@example.com")
    out = await bearer_for(services, outsider)
    assert (await gql(client, THREAD_POSTS, {"id": thread["id"]}, headers=out))["node"] is None
    assert error_codes(await gql_raw(client, THREADS_WITH_POSTS, {"c": thread["course"]},
                                     headers=out)) == ["FORBIDDEN"]

    # The posts resolver decides by itself: no caller can vouch for a check it skipped.
    ctx = Context(services=services, viewer=viewer_of(outsider))
    with pytest.raises(Forbidden, match="not enrolled"):
        await community.get_posts_page(ctx, thread_id=thread["number"], first=10)
    with pytest.raises(Unauthenticated):
        await community.get_posts_page(Context(services=services), thread_id=thread["number"],
                                       first=10)
    with pytest.raises(NotFound, match="Thread not found"):
        await community.get_posts_page(ctx, thread_id=thread["number"] + 100, first=10)
    teacher = await create_user(services, email="t@example.com", roles=["INSTRUCTOR"])
    page = await community.get_posts_page(
        Context(services=services, viewer=viewer_of(teacher, "INSTRUCTOR")),
        thread_id=thread["number"], first=10)
    assert [p.body for p in page.items] == ["First!"]
