"""Fields whose values come from a fixed set are enums, each value described: a String
field whose description lists its values (``active, completed or timed_out``, ``Always
triggered``) fails here unless it is listed below as open text (a list of examples, or
what the language model writes)."""

from __future__ import annotations

import re

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    get_named_type,
)

from schema import build_schema

# "a, b or c", "A, B, C or D.", "Career level: a, b or c", "Always x."
_WORD = r"`?[A-Za-z_]+`?"
LISTED_VALUES = re.compile(
    rf"^(?:[A-Z][a-z ]+: )?{_WORD}(?:, {_WORD})*,? or {_WORD}\.?$|^Always {_WORD}\.?$")

# Listed values that are not the whole set: what the language model or the knowledge
# base writes, kept open so that a new kind does not fail an answer.
OPEN = {
    "Concept.level", "RoleLevel.name", "GapInput.priority", "LearningResource.type",
    "MaterialSection.type", "StartAssessmentInput.thoroughness",
}

NOW_ENUMS = {
    "AssessmentSession.status": "AssessmentStatus", "ChatMessage.role": "ChatMessageRole",
    "SharedChatMessage.role": "ChatMessageRole", "AccountSession.role": "AccountSessionRole",
    "RegisterAccountPayload.state": "RegistrationState",
    "OrchestrationRun.status": "OrchestrationRunStatus",
    "OrchestrationRun.contentSource": "ContentSource",
    "OrchestrationStatus.masteryResult": "MasteryResult",
    "LabSubmission.status": "LabSubmissionStatus",
    "EnrollmentStatusCount.status": "EnrollmentStatus",
    "ChatSession.cacheState": "ChatCacheState", "ViewerEvent.kind": "ViewerEventKind",
}


def _fields():
    for name, named in build_schema()._schema.type_map.items():
        if name.startswith("__") or not isinstance(
                named, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            continue
        for field_name, field in named.fields.items():
            yield f"{name}.{field_name}", field


def test_strings_that_list_their_values_are_enums():
    listed = {name for name, field in _fields()
              if get_named_type(field.type).name == "String"
              and LISTED_VALUES.match(field.description or "")}
    assert listed - OPEN == set(), sorted(listed - OPEN)
    # A field made an enum (or removed) leaves the list.
    assert OPEN - listed == set(), sorted(OPEN - listed)


def test_closed_sets_are_described_enums():
    fields = dict(_fields())
    for name, enum_name in NOW_ENUMS.items():
        named = get_named_type(fields[name].type)
        assert isinstance(named, GraphQLEnumType) and named.name == enum_name, name
        assert named.description and all(v.description for v in named.values.values()), name
