"""An explicit null for a required field is refused by every GraphQL update mutation,
as the REST face refuses it with a 422: BAD_USER_INPUT naming the field, nothing stored.
Omitted fields keep their value and a null still clears an optional field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from strawberry import relay

from models.community import DiscussionThread, Flashcard, Note
from models.course import ContentType, Course, Department, Module, Subject, University
from tests.fixtures import bearer_for, create_user, error_codes, gql, gql_raw
from tests.twosigma.learner_helpers import add, course, enroll, offering


@dataclass(frozen=True)
class Case:
    mutation: str
    input_type: str
    model: type
    required: tuple[str, ...]  # GraphQL names of NOT NULL fields
    optional: str | None  # a nullable field that a null clears
    other: tuple[str, Any]  # a valid change sent beside the null, which must not be stored


def with_null(row_id: str, field: str, case: Case) -> dict[str, Any]:
    """An input nulling ``field`` beside the case's valid change (unless it is that field)."""
    return {"id": row_id, **dict([case.other]), field: None}


def snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


async def make_row(services, model: type) -> Any:
    if model is Course:
        return await add(services, Course(title="Algo", code="CS1", llm_model="claude-x"))
    if model is University:
        return await add(services, University(name="MIT", country="US"))
    if model is Department:
        mit = await add(services, University(name="MIT"))
        return await add(services, Department(university_id=mit.id, name="CS", code="CS"))
    if model is Subject:
        return await add(services, Subject(name="Math", description="Numbers"))
    if model is ContentType:
        return await add(services, ContentType(name="lab", label="Lab", required_fields=["repo"],
                                               prompt_name="lab-prompt"))
    cs = await add(services, Course(title="Algo", code="CS1"))
    parent = await add(services, Module(course_id=cs.id, title="Unit", sequence_index=0))
    return await add(services, Module(course_id=cs.id, parent_module_id=parent.id,
                                      title="Week 1", sequence_index=3))


CATALOG = [
    Case("updateCourse", "UpdateCourseInput", Course,
         ("title", "code", "description", "level", "creditHours", "isPublished",
          "cacheEnabled"), "llmModel", ("description", "changed")),
    Case("updateUniversity", "UpdateUniversityInput", University, ("name", "description"),
         "country", ("shortName", "M")),
    Case("updateDepartment", "UpdateDepartmentInput", Department, ("name", "description"),
         "code", ("description", "changed")),
    Case("updateSubject", "UpdateSubjectInput", Subject, ("name", "description"), None,
         ("description", "changed")),
    Case("updateContentType", "UpdateContentTypeInput", ContentType,
         ("name", "label", "description", "requiredFields"), "promptName",
         ("label", "Labs")),
    Case("updateModule", "UpdateModuleInput", Module,
         ("title", "description", "moduleType", "sequenceIndex"), "parentModuleId",
         ("title", "changed")),
]


def document(case: Case) -> str:
    return (f"mutation($input: {case.input_type}!) {{ {case.mutation}(input: $input) "
            f"{{ __typename }} }}")


async def stored(services, model: type, row_id: int) -> dict[str, Any]:
    async with services.db.session() as session:
        row = await session.get(model, row_id)
        return {c.name: getattr(row, c.name) for c in model.__table__.columns}


async def check_nulls_refused(client, services, case: Case, row: Any, headers: dict) -> None:
    """Each required field's null is refused with nothing stored; the valid change alone
    is stored and changes nothing else; a null clears the optional field."""
    row_id = relay.to_base64(case.model.__name__, str(row.id))
    before = await stored(services, case.model, row.id)
    for field in case.required:
        body = await gql_raw(client, document(case), {"input": with_null(row_id, field, case)},
                             headers=headers)
        assert error_codes(body) == ["BAD_USER_INPUT"], (field, body)
        assert body["errors"][0]["message"] == f"{snake(field)} must not be null"
        assert body["errors"][0]["extensions"]["details"] == {"field": snake(field)}
        assert body["data"] is None
        assert await stored(services, case.model, row.id) == before, field

    name, value = case.other
    await gql(client, document(case), {"input": {"id": row_id, name: value}}, headers=headers)
    after = await stored(services, case.model, row.id)
    assert {k for k in before if before[k] != after[k]} - {"updated_at"} == {snake(name)}
    assert after[snake(name)] == value
    if case.optional is not None:
        await gql(client, document(case), {"input": {"id": row_id, case.optional: None}},
                  headers=headers)
        assert (await stored(services, case.model, row.id))[snake(case.optional)] is None


@pytest.mark.parametrize("case", CATALOG, ids=[c.mutation for c in CATALOG])
async def test_catalog_updates_refuse_null_for_required_fields(client, services, case):
    admin = await bearer_for(services, await create_user(services, email="root@example.com",
                                                         roles=["PLATFORM_ADMIN"]))
    await check_nulls_refused(client, services, case, await make_row(services, case.model),
                              admin)


COMMUNITY = [
    Case("updateNote", "UpdateNoteInput", Note, ("title", "body"), None, ("body", "new")),
    Case("updateFlashcard", "UpdateFlashcardInput", Flashcard, ("front", "back"), None,
         ("back", "new")),
    Case("updateDiscussionThread", "UpdateDiscussionThreadInput", DiscussionThread,
         ("title", "body"), None, ("body", "new")),
]


@pytest.mark.parametrize("case", COMMUNITY, ids=[c.mutation for c in COMMUNITY])
async def test_community_updates_refuse_null_for_required_fields(client, services, user, case):
    cs = await course(services)
    await enroll(services, user, await offering(services, cs))
    texts = {Note: {"title": "T", "body": "B"}, Flashcard: {"front": "F", "back": "B"},
             DiscussionThread: {"title": "T", "body": "B"}}[case.model]
    row = await add(services, case.model(user_id=user.id, course_id=cs.id, **texts))
    await check_nulls_refused(client, services, case, row, await bearer_for(services, user))
