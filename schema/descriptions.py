"""Descriptions of the arguments every list and mutation shares, given once for the schema
(as GitHub's schema does) rather than repeated in each field's signature: the cursor
paging arguments, a mutation's ``input`` (its input type describes the fields), and an
ID argument named for what it identifies (``codelabId``: the codelab's ID; ``id`` of
``deleteCourse`` or ``course``: the course's). An argument that has its own description
keeps it."""

from __future__ import annotations

import re

from graphql import (
    GraphQLInputObjectType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
)

PAGING = {
    "first": "Returns the first n items (1 to the list's maximum, 100 unless the field "
             "says otherwise); a list takes `first` or `last`.",
    "after": "Returns the items after this cursor (a `pageInfo.endCursor` or an edge's "
             "`cursor`).",
    "last": "Returns the last n items (as many as `first` may), counted back from `before` "
            "or the end.",
    "before": "Returns the items before this cursor (a `pageInfo.startCursor` or an edge's "
              "`cursor`).",
}


def describe_shared_arguments(schema: GraphQLSchema) -> None:
    """Give the paging arguments, mutations' ``input`` and ID arguments and input fields
    their shared descriptions."""
    for named in schema.type_map.values():
        if isinstance(named, GraphQLInputObjectType):
            _describe_input_ids(named)
        if not isinstance(named, GraphQLObjectType) or named.name.startswith("__"):
            continue
        for name, field in named.fields.items():
            for arg_name, arg in field.args.items():
                if arg.description:
                    continue
                if arg_name in PAGING:
                    arg.description = PAGING[arg_name]
                elif arg_name == "input" and _is_input(get_named_type(arg.type)):
                    arg.description = (f"What `{name}` takes: the fields of "
                                       f"`{get_named_type(arg.type).name}`.")
                else:
                    arg.description = _id_description(name, arg_name)


def _describe_input_ids(named: GraphQLInputObjectType) -> None:
    """``courseId`` of an input: the course's ID; ``id`` of ``UpdateCourseInput``: the ID
    of the course to change."""
    words = _words(named.name.removesuffix("Input"))
    if words and words[0] in INPUT_VERBS:
        words = words[1:]
    if words and words[-1] == "status":  # UpdateEnrollmentStatusInput: an enrollment
        words = words[:-1]
    subject = "".join(w.title() if n else w for n, w in enumerate(words))
    for name, field in named.fields.items():
        if not field.description and subject:
            field.description = _id_description(subject, name)


# The verbs of fields whose ``id`` names the record they act on.
ACTIONS = {"delete": "delete", "copy": "copy", "revoke": "revoke", "resolve": "resolve",
           "remove": "remove", "update": "change", "archive": "archive"}


ACRONYMS = {"api": "API", "ghl": "GHL", "llm": "LLM", "aws": "AWS", "ai": "AI", "url": "URL"}
# Verbs an input type's name starts with, before the record it is about.
INPUT_VERBS = {"create", "review", "submit", "grade", "rate", "upsert", "save", "set", "add"}


def _words(camel: str) -> list[str]:
    return [ACRONYMS.get(w.lower(), w.lower())
            for w in re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", camel)]


def _id_description(field: str, arg: str) -> str | None:
    """``codelabId`` → "The codelab's ID."; ``id`` of ``deleteCodelab`` → "The ID of the
    codelab to delete."; ``id`` of ``codelab`` → "The codelab's ID."."""
    if arg.endswith("Id") and arg != "Id":
        return f"The {' '.join(_words(arg[:-2]))}'s ID."
    if arg != "id":
        return None
    words = _words(field)
    if len(words) > 1 and words[0] in ACTIONS:
        return f"The ID of the {' '.join(words[1:])} to {ACTIONS[words[0]]}."
    return f"The {' '.join(words)}'s ID."


def _is_input(named: GraphQLNamedType) -> bool:
    return isinstance(named, GraphQLInputObjectType)
