"""Descriptions given to the schema after it is built, for what a field's signature or an
input class does not describe itself. Shared ones once for the schema (as GitHub's
schema does): the cursor paging arguments, a mutation's ``input`` (its input type
describes the fields), an ID argument or input field named for what it identifies
(``codelabId``: the codelab's ID; ``id`` of ``deleteCourse`` or ``course``: the
course's), an update input's field as its create twin's; and tables of the other input
fields and arguments. A description written in place keeps precedence, and a table
entry naming nothing in the schema stops the build."""

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


# Input fields, by ``Input.field``. An ``Update…Input`` field without its own description
# takes its ``Create…Input`` twin's (the same value, changed).
INPUT_FIELDS = {
    "AnthropicKeyInput.apiKey": "The key (`sk-ant-…`).",
    "CodelabFacilitatorLoginInput.adminId": "The facilitator account's name.",
    "CodelabFacilitatorLoginInput.adminPassword": "The facilitator account's password.",
    "CodelabQuizInput.question": "The question's text.",
    "CodelabQuizInput.quizType": "The kind of question: `multiple_choice`.",
    "CodelabStepInput.title": "The step's title.",
    "CodelabStepInput.contentMarkdown": "The step's content, in Markdown.",
    "CreateApiKeyInput.name": "A name to tell the key by.",
    "CreateCodelabInput.description": "What the codelab is about.",
    "CreateCodelabInput.author": "Who wrote it, as shown to attendees.",
    "CreateCodelabInput.isPublic": "Readable by anyone (otherwise only by its facilitators "
                                   "and attendees).",
    "CreateCodelabInput.quizEnabled": "Whether the codelab has a quiz.",
    "CreateCodelabInput.requireQuiz": "Attendees must pass the quiz to complete it.",
    "CreateCodelabInput.requireFeedback": "Attendees must leave feedback to complete it.",
    "CreateCodelabInput.guideMarkdown": "A preparation guide for attendees, in Markdown.",
    "UpdateCodelabInput.title": "The codelab's title.",
    "UpdateCodelabInput.attendanceCode": "The code attendees enter to register.",
    "CreateContentItemInput.title": "The item's title.",
    "CreateContentItemInput.description": "What the item covers.",
    "CreateContentItemInput.estimatedDurationSeconds": "How long it takes, in seconds.",
    "CreateContentItemInput.sequenceIndex": "Its position in the module; none puts it after "
                                            "the module's last item.",
    "CreateContentTypeInput.name": "The type's key (`video`, `quiz`, …).",
    "CreateContentTypeInput.label": "The name shown for it.",
    "CreateContentTypeInput.description": "What content of this type is.",
    "CreateContentTypeInput.requiredFields": "The keys every item of the type must have in "
                                             "its data.",
    "CreateContentTypeInput.promptName": "The tutor prompt used on items of this type (a "
                                         "prompt's name); none: the default prompt.",
    "CreateCourseInput.title": "The course's title.",
    "CreateCourseInput.code": "Its catalog code (`CS101`).",
    "CreateCourseInput.description": "What the course covers.",
    "CreateCourseInput.level": "How advanced it is.",
    "CreateCourseInput.creditHours": "Credit hours it is worth.",
    "CreateCourseInput.isPublished": "Visible to students (otherwise only to its authors).",
    "CreateCourseInput.cacheEnabled": "Whether the tutor may answer from its response cache.",
    "CreateCourseInput.llmModel": "The model the tutor uses; none: the server's default.",
    "CreateCourseOfferingInput.termName": "The term's name (`Fall 2026`).",
    "CreateCourseOfferingInput.startsAt": "When the term starts.",
    "CreateCourseOfferingInput.endsAt": "When the term ends.",
    "CreateCourseOfferingInput.enrollmentStart": "When enrollment opens; none: open now.",
    "CreateCourseOfferingInput.enrollmentEnd": "When enrollment closes; none: it stays open.",
    "CreateCourseOfferingInput.visibility": "Who can find and join it.",
    "CreateDepartmentInput.name": "The department's name.",
    "CreateDepartmentInput.code": "Its short code.",
    "CreateDepartmentInput.description": "What the department is.",
    "CreateDiscussionPostInput.body": "The reply's text.",
    "CreateDiscussionThreadInput.title": "The thread's title.",
    "CreateDiscussionThreadInput.body": "Its first post's text.",
    "CreateFlashcardInput.front": "The prompt side.",
    "CreateFlashcardInput.back": "The answer side.",
    "CreateModuleInput.title": "The module's title.",
    "CreateModuleInput.description": "What the module covers.",
    "CreateModuleInput.moduleType": "What it is in the course's structure.",
    "UpdateModuleInput.sequenceIndex": "Its position among its siblings.",
    "CreateNoteInput.title": "The note's title.",
    "CreateNoteInput.body": "The note's text.",
    "CreateSubjectInput.name": "The subject's name.",
    "CreateSubjectInput.description": "What the subject is.",
    "CreateUniversityInput.name": "The university's name.",
    "CreateUniversityInput.shortName": "A short name or acronym.",
    "CreateUniversityInput.country": "Its country.",
    "CreateUniversityInput.websiteUrl": "Its website.",
    "CreateUniversityInput.description": "What the university is.",
    "GapAnalysisInput.proficiencyScores": "The assessed proficiencies, one per skill.",
    "GapInput.skillName": "The skill's name.",
    "GapInput.currentLevel": "The learner's level now (0–100).",
    "GapInput.targetLevel": "The level the role needs (0–100).",
    "GapInput.gap": "Target minus current level.",
    "GapInput.recommendation": "What to do about it.",
    "GradeLabSubmissionInput.feedback": "The instructor's comments to the learner.",
    "LearningPlanInput.overallReadiness": "The analysis's overall readiness (0–100).",
    "LearningPlanInput.summary": "The analysis's summary.",
    "LearningPlanInput.gaps": "The gaps to plan for.",
    "LoginInput.email": "The account's email (any case).",
    "LoginInput.password": "The account's password.",
    "OnboardingProfileInput.dateOfBirth": "The learner's date of birth.",
    "OnboardingProfileInput.learningGoal": "Why they study.",
    "OnboardingProfileInput.studyLevel": "Where they are in their education.",
    "OnboardingProfileInput.grade": "Their year of study.",
    "ProficiencyScoreInput.skillName": "The skill's name.",
    "ProficiencyScoreInput.reasoning": "Why the assessment gave this score.",
    "RateCourseInput.review": "The review's text.",
    "RefreshTokenInput.refreshToken": "The refresh token from sign-in or the last refresh.",
    "RegisterInput.email": "The new account's email (unique in any case).",
    "RegisterInput.profile": "Onboarding answers, each optional.",
    "ReorderModulesInput.moduleIds": "Every module of that parent, in the new order.",
    "StartAssessmentInput.skillIds": "The skills to assess (ids from `skills`).",
    "StartAssessmentInput.targetLevel": "The level to assess against (`junior`, `mid`, "
                                        "`senior`, `staff`).",
    "SubmitCodelabFeedbackInput.comment": "Anything the attendee wants to add.",
    "SubmitLabInput.submission": "The hand-in (text, code or a link).",
    "SubmitQuizAttemptInput.answers": "The answers, by question.",
    "UpdateEnrollmentStatusInput.status": "The enrollment's new status.",
    "UpdateMeInput.fullName": "Your full name.",
    "UpsertContentProgressInput.completedAt": "When it was completed; none: not yet.",
    "UpsertModuleProgressInput.completedAt": "When it was completed; none: not yet.",
}


# Arguments particular to one field, by ``Type.field(argument)``.
ARGUMENTS = {
    "Mutation.completeGhlScore(privateToken)": "The session's private token (the credential).",
    "Mutation.ghlScoreChat(privateToken)": "The session's private token (the credential).",
    "Subscription.ghlScoreChatEvents(privateToken)": "The session's private token (the "
                                                     "credential).",
    "Mutation.ghlScoreChat(message)": "The learner's message; none starts the conversation.",
    "Mutation.createCodelabWorkspace(files)": "Files to start the workspace with.",
    "Mutation.createCodelabWorkspaceFolder(files)": "Files to put in the folder.",
    "Mutation.writeCodelabWorkspaceFiles(files)": "The files to write (created or replaced).",
    "Mutation.createCodelabWorkspaceBranch(stepNumber)": "The step the branch is for (from 1).",
    "Mutation.createCodelabWorkspaceFolder(stepNumber)": "The step the folder is for (from 1).",
    "Mutation.reportCodelabStep(stepNumber)": "The step the attendee is on (from 1).",
    "Mutation.requestCodelabHelp(stepNumber)": "The step the attendee needs help with "
                                               "(from 1).",
    "Mutation.createOrganizationGuest(email)": "The guest's email; an existing guest with it "
                                               "is found, not duplicated.",
    "Mutation.setLlmBudget(scope)": "What the budget limits.",
    "Mutation.deleteLlmBudget(scope)": "What the budget limits.",
    "Mutation.setLlmBudget(tokenLimit)": "Most tokens a month; none: no token limit.",
    "Mutation.setLlmBudget(costLimit)": "Most cost a month, in US dollars; none: no cost "
                                        "limit.",
    "Mutation.generateIntelligence(type)": "What to make for the objective.",
    "Mutation.replaceCodelabQuizzes(quizzes)": "The quiz's questions, replacing all of them.",
    "Mutation.submitCodelabQuiz(answers)": "One answer per question.",
    "Mutation.respondToAssessment(response)": "The learner's answer to the pending question.",
    "Mutation.saveCodelabGeminiKey(sealedKey)": "The Gemini key, sealed with the admin "
                                                "password.",
    "Mutation.sayInCodelabRoom(message)": "The message's text.",
    "Mutation.sendCodelabDirectMessage(message)": "The message's text.",
    "Mutation.sendChatMessage(content)": "The message: free text, or an MCQ answer as JSON.",
    "Mutation.uploadAvatar(file)": "The image (multipart upload).",
    "Query.checkEmail(email)": "The email to check (any case).",
    "Query.curriculumObjectives(territory)": "Only this territory's objectives.",
    "Query.curriculumObjectives(yearLevel)": "Only this year level's objectives.",
    "Query.curriculumObjectives(subject)": "Only this subject's objectives.",
    "Query.curriculumObjectives(cursor)": "Where the previous page ended (its `nextCursor`).",
    "Query.curriculumObjectives(limit)": "Most objectives on the page (1 to 200).",
    "Query.featureRequests(status)": "Only requests in this status.",
    "Query.roleConcepts(level)": "The highest level whose concepts are included (junior, mid, "
                                 "senior or staff).",
    "Role.concepts(level)": "The highest level whose concepts are included (junior, mid, "
                            "senior or staff).",
    "Query.sharedChatSession(token)": "The share token from `shareChatSession`.",
    "Query.userByNumber(number)": "The user's integer number (the course platform's id).",
    "Mutation.sendCodelabDirectMessage(targetLegacyId)": "A facilitator's addressee "
                                                         "(`attendee_<hex>`); an attendee "
                                                         "leaves it out (or `facilitator`).",
    "Mutation.deleteLlmBudget(subjectId)": "A Course global or integer id, an organization's "
                                           "UUID, or a User global ID or UUID.",
}


def describe_arguments(schema: GraphQLSchema) -> None:
    """Give the arguments of ``ARGUMENTS`` their descriptions."""
    for key, text in ARGUMENTS.items():
        type_name, rest = key.split(".", 1)
        field_name, arg_name = rest.rstrip(")").split("(")
        named = schema.type_map.get(type_name)
        field = named.fields.get(field_name) if isinstance(named, GraphQLObjectType) else None
        if field is None or arg_name not in field.args:
            raise LookupError(f"ARGUMENTS names {key}, which the schema does not have")
        field.args[arg_name].description = field.args[arg_name].description or text


def describe_input_fields(schema: GraphQLSchema) -> None:
    """Give the input fields of ``INPUT_FIELDS`` their descriptions, and an update's
    fields those of its create twin."""
    for key, text in INPUT_FIELDS.items():
        type_name, field = key.split(".")
        named = schema.type_map.get(type_name)
        if not isinstance(named, GraphQLInputObjectType) or field not in named.fields:
            raise LookupError(f"INPUT_FIELDS names {key}, which the schema does not have")
        named.fields[field].description = named.fields[field].description or text
    for name, named in schema.type_map.items():
        twin = schema.type_map.get(name.replace("Update", "Create", 1))
        if not (name.startswith("Update") and isinstance(named, GraphQLInputObjectType)
                and isinstance(twin, GraphQLInputObjectType)):
            continue
        for field_name, field in named.fields.items():
            if not field.description and field_name in twin.fields:
                field.description = twin.fields[field_name].description
