"""Fields that hold an id are global IDs (``ID``), except the ids listed here: the legacy
faces' own identifiers (``codelab_…`` legacy ids, skill and role slugs, book ids, the
reading platform's learner UUIDs, client-made event ids, provider file and key ids). A
new ``…Id`` field of another type fails here: our own integer and UUID ids are global
IDs, as ``node`` takes them."""

from __future__ import annotations

from graphql import (
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    get_named_type,
)

from schema import build_schema

NOT_OURS = {
    "AdaptBookInput.bookId", "AnalyzePerformanceInput.fileIds", "AssessmentSession.skillIds",
    "AssessmentSession.roleId", "AwsCredentialsStatus.accessKeyId", "Codelab.legacyId",
    "CodelabAiConversation.legacyId", "CodelabAiConversation.attendeeLegacyId",
    "CodelabAttendee.legacyId", "CodelabCertificate.attendeeLegacyId",
    "CodelabChatMessage.legacyId", "CodelabChatMessage.targetLegacyId",
    "CodelabFacilitatorLoginInput.adminId", "CodelabFeedback.attendeeLegacyId",
    "CodelabHelpRequest.attendeeLegacyId", "CodelabQuizSubmission.attendeeLegacyId",
    "CodelabRoomEvent.messageLegacyId", "CodelabRoomEvent.targetLegacyId",
    "CodelabRoomEvent.attendeeLegacyId", "CodelabRoomEvent.targetStepLegacyId",
    "CodelabStep.legacyId", "CodelabSubmission.attendeeLegacyId",
    "ClassStudent.learnerServiceId", "CreatedStudent.learnerServiceId",
    "EndReadingSessionInput.learnerId", "EndReadingSessionInput.sessionId",
    "EndReadingSessionInput.bookId", "Evidence.fileId", "GapInput.skillId",
    "GenerateQuestionsInput.bookId", "GenerateQuestionsInput.learnerId",
    "GrantEntitlementInput.subjectId", "LevelPageInput.bookId", "LlmBudget.subjectId",
    "PerformanceAnalysis.fileIds", "ProficiencyScore.skillId", "ProficiencyScoreInput.skillId",
    "QuizResultInput.bookId", "ReadingEventInput.eventId", "ReadingEventInput.learnerId",
    "ReadingEventInput.sessionId", "ReadingEventInput.bookId", "Role.mappedSkillIds",
    "ScoreAnswersInput.learnerId", "ScoreAnswersInput.bookId", "SessionSummaryInput.learnerId",
    "SessionSummaryInput.sessionId", "SetAwsCredentialsInput.accessKeyId",
    "SkillGap.skillId", "StartAssessmentInput.skillIds", "StartAssessmentInput.roleId",
    "StudyMaterial.conceptId", "VocabTapsInput.learnerId", "VocabTapsInput.sessionId",
}
def id_fields_not_global() -> set[str]:
    found = set()
    for name, named in build_schema()._schema.type_map.items():
        if name.startswith("__") or not isinstance(
                named, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            continue
        for field_name, field in named.fields.items():
            if (field_name.endswith(("Id", "Ids"))
                    and get_named_type(field.type).name != "ID"):
                found.add(f"{name}.{field_name}")
    return found


def test_id_fields_are_global_ids_or_listed():
    found = id_fields_not_global()
    assert not found - NOT_OURS, sorted(found - NOT_OURS)
    # A field made a global ID (or removed) leaves the list.
    assert not NOT_OURS - found, sorted(NOT_OURS - found)


def test_chat_done_names_its_message_by_global_id():
    assert "ChatDone.messageId" not in id_fields_not_global()

