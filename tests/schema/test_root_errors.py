"""When several non-null root fields of a query fail, the answer carries the failure of
the first in document order, whichever resolver fails first (a refusal before any I/O
used to win over a not-found after a query), on a server that plans reads too."""

from __future__ import annotations

from tests.fixtures import error_codes, gql_raw
from tests.twosigma.catalog_helpers import Course, add

SHARED = 's: sharedChatSession(token: "no such token") { createdAt }'
USERS = "u: users(first: 1) { totalCount }"


async def test_the_first_failing_root_field_in_document_order_is_reported(client):
    answers = {}
    for name, query in (("shared first", f"{{ {SHARED} {USERS} }}"),
                        ("users first", f"{{ {USERS} {SHARED} }}")):
        # The same every time, the second after the first answer taught any plan.
        answers[name] = [_without_extensions(await gql_raw(client, query)) for _ in range(3)]
    for name, seen in answers.items():
        assert all(answer == seen[0] for answer in seen), name
        assert seen[0]["data"] is None
    shared, users = answers["shared first"][0], answers["users first"][0]
    assert [e["path"] for e in shared["errors"]] == [["s"]]
    assert error_codes(shared) == ["NOT_FOUND"]
    assert [e["path"] for e in users["errors"]] == [["u"]]
    assert error_codes(users) == ["UNAUTHENTICATED"]


def _without_extensions(answer: dict) -> dict:
    return {key: value for key, value in answer.items() if key != "extensions"}


async def test_errors_of_nullable_fields_are_listed_by_root_field_in_document_order(
        client, services):
    """The errors listed by root field in the order of the fields in the document, though
    the one that reads no table fails first."""
    await add(services, Course, title="Open", code="O", is_published=True)
    fields = {"a": "a: courses(first: 1) { nodes { title stats { modulesCount } } }",
              "b": 'b: role(id: "no_such_role") { id }'}
    for keys in (("a", "b"), ("b", "a")):
        answer = await gql_raw(client, "{ " + " ".join(fields[k] for k in keys) + " }")
        # An anonymous visitor's stats are refused, and they are not null: nor is data.
        assert answer["data"] is None
        assert [e["path"][0] for e in answer["errors"]] == list(keys)
