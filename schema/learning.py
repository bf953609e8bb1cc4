"""GraphQL for the course platform: a learner's activity and progress."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from models.learning import ContentProgress as ContentProgressModel
from models.learning import LabSubmission as LabSubmissionModel
from models.learning import LearningActivity as ActivityModel
from models.learning import ModuleProgress as ModuleProgressModel
from models.learning import QuizAttempt as QuizAttemptModel
from resolvers import activity as activity_resolvers
from resolvers import progress as progress_resolvers
from schema.pages import Connection, connection, ids_or_none, parse_int_id


def global_id(type_name: str, value: int | None) -> strawberry.ID | None:
    """The global ID of a row of another type (for ``node(id:)``), or None."""
    return None if value is None else strawberry.ID(relay.to_base64(type_name, str(value)))


@strawberry.type(description="One thing a learner did, on their local date; feeds streaks.")
class LearningActivity(relay.Node):
    id: relay.NodeID[int]
    kind: str = strawberry.field(description="CONTENT_PROGRESS, QUIZ_ATTEMPT, NOTE, ...")
    summary: str = strawberry.field(description="A short human-readable description.")
    occurred_at: datetime = strawberry.field(description="When it happened.")
    local_date: date = strawberry.field(description="The day in the learner's time zone.")
    course_id: strawberry.ID | None = strawberry.field(description="Global ID of the course.")
    module_id: strawberry.ID | None = strawberry.field(description="Global ID of the module.")
    content_item_id: strawberry.ID | None = strawberry.field(
        description="Global ID of the content item.")

    @classmethod
    def from_model(cls, row: ActivityModel) -> LearningActivity:
        return cls(id=row.id, kind=row.kind, summary=row.summary, occurred_at=row.occurred_at,
                   local_date=row.local_date, course_id=global_id("Course", row.course_id),
                   module_id=global_id("Module", row.module_id),
                   content_item_id=global_id("ContentItem", row.content_item_id))

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[LearningActivity | None]:
        rows = await activity_resolvers.get_many(
            info.context, ids=ids_or_none(node_ids))
        return [cls.from_model(r) if r else None for r in rows]


@strawberry.type(description="A learner's progress through a module in one course offering.")
class ModuleProgress(relay.Node):
    id: relay.NodeID[int]
    module_id: strawberry.ID = strawberry.field(description="Global ID of the Module.")
    course_offering_id: strawberry.ID = strawberry.field(
        description="Global ID of the CourseOffering.")
    progress_percent: int = strawberry.field(description="0 to 100.")
    started_at: datetime
    completed_at: datetime | None
    updated_at: datetime

    @classmethod
    def from_model(cls, row: ModuleProgressModel) -> ModuleProgress:
        return cls(id=row.id, module_id=global_id("Module", row.module_id),
                   course_offering_id=global_id("CourseOffering", row.course_offering_id),
                   progress_percent=row.progress_percent, started_at=row.started_at,
                   completed_at=row.completed_at, updated_at=row.updated_at)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[ModuleProgress | None]:
        rows = await progress_resolvers.get_many(
            info.context, kind="module", ids=ids_or_none(node_ids))
        return [cls.from_model(r) if r else None for r in rows]


@strawberry.type(description="A learner's progress through a content item in one offering.")
class ContentProgress(relay.Node):
    id: relay.NodeID[int]
    content_item_id: strawberry.ID = strawberry.field(description="Global ID of the ContentItem.")
    course_offering_id: strawberry.ID = strawberry.field(
        description="Global ID of the CourseOffering.")
    progress_percent: int = strawberry.field(description="0 to 100.")
    time_spent_seconds: int = strawberry.field(description="Total time reported so far.")
    started_at: datetime
    completed_at: datetime | None
    updated_at: datetime

    @classmethod
    def from_model(cls, row: ContentProgressModel) -> ContentProgress:
        return cls(id=row.id, content_item_id=global_id("ContentItem", row.content_item_id),
                   course_offering_id=global_id("CourseOffering", row.course_offering_id),
                   progress_percent=row.progress_percent,
                   time_spent_seconds=row.time_spent_seconds, started_at=row.started_at,
                   completed_at=row.completed_at, updated_at=row.updated_at)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[ContentProgress | None]:
        rows = await progress_resolvers.get_many(
            info.context, kind="content", ids=ids_or_none(node_ids))
        return [cls.from_model(r) if r else None for r in rows]


@strawberry.type(description="One attempt at a quiz.")
class QuizAttempt(relay.Node):
    id: relay.NodeID[int]
    content_item_id: strawberry.ID = strawberry.field(description="Global ID of the ContentItem.")
    score: float = strawberry.field(description="0 to 100.")
    passed: bool = strawberry.field(description="Score reached the quiz's pass mark.")
    answers: JSON = strawberry.field(description="The answers as submitted.")
    submitted_at: datetime

    @classmethod
    def from_model(cls, row: QuizAttemptModel) -> QuizAttempt:
        return cls(id=row.id, content_item_id=global_id("ContentItem", row.content_item_id),
                   score=float(row.score), passed=row.passed, answers=row.answers,
                   submitted_at=row.submitted_at)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[QuizAttempt | None]:
        rows = await progress_resolvers.get_many(
            info.context, kind="quiz", ids=ids_or_none(node_ids))
        return [cls.from_model(r) if r else None for r in rows]


@strawberry.enum(description="Where a lab submission stands.")
class LabSubmissionStatus(Enum):
    SUBMITTED = strawberry.enum_value("SUBMITTED", description="Handed in, not graded yet.")
    GRADED = strawberry.enum_value("GRADED", description="An instructor gave it a score.")


@strawberry.type(description="A lab handed in, and its grade once an instructor gave one.")
class LabSubmission(relay.Node):
    id: relay.NodeID[int]
    content_item_id: strawberry.ID = strawberry.field(description="Global ID of the ContentItem.")
    submission: str
    status: LabSubmissionStatus = strawberry.field(description="Whether it is graded yet.")
    score: float | None = strawberry.field(description="0 to 100 once graded.")
    feedback: str | None
    graded_at: datetime | None
    created_at: datetime

    @classmethod
    def from_model(cls, row: LabSubmissionModel) -> LabSubmission:
        return cls(id=row.id, content_item_id=global_id("ContentItem", row.content_item_id),
                   submission=row.submission, status=LabSubmissionStatus(row.status),
                   score=float(row.score) if row.score is not None else None,
                   feedback=row.feedback, graded_at=row.graded_at, created_at=row.created_at)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[LabSubmission | None]:
        rows = await progress_resolvers.get_many(
            info.context, kind="lab", ids=ids_or_none(node_ids))
        return [cls.from_model(r) if r else None for r in rows]


@strawberry.type(description="A page of module progress.")
class ModuleProgressConnection(Connection[ModuleProgress]):
    pass


@strawberry.type(description="A page of content progress.")
class ContentProgressConnection(Connection[ContentProgress]):
    pass


def _offering(value: strawberry.ID | None) -> int | None:
    if value is None:
        return None
    return parse_int_id(value, "CourseOffering", field="courseOfferingId")


async def module_progress_connection(info: Info, *, user_id=None, course_offering_id=None,
                                     first=None, after=None, last=None,
                                     before=None) -> ModuleProgressConnection:
    page = await progress_resolvers.get_module_progress_page(
        info.context, user_id=user_id, course_offering_id=_offering(course_offering_id),
        first=first, after=after, last=last, before=before)
    return connection(ModuleProgressConnection, page, ModuleProgress.from_model)


@strawberry.type
class LearningQuery:
    @strawberry.field(description="Your module progress, in one offering when given.")
    async def my_module_progress(self, info: Info, course_offering_id: strawberry.ID | None = None,
                                 first: int | None = None, after: str | None = None,
                                 last: int | None = None,
                                 before: str | None = None) -> ModuleProgressConnection:
        return await module_progress_connection(info, course_offering_id=course_offering_id,
                                                first=first, after=after, last=last,
                                                before=before)

    @strawberry.field(description="Your content progress, in one offering when given.")
    async def my_content_progress(self, info: Info,
                                  course_offering_id: strawberry.ID | None = None,
                                  first: int | None = None, after: str | None = None,
                                  last: int | None = None,
                                  before: str | None = None) -> ContentProgressConnection:
        page = await progress_resolvers.get_content_progress_page(
            info.context, course_offering_id=_offering(course_offering_id), first=first,
            after=after, last=last, before=before)
        return connection(ContentProgressConnection, page, ContentProgress.from_model)


@strawberry.input(description="Progress on a module in an offering you are enrolled in.")
class UpsertModuleProgressInput:
    module_id: strawberry.ID = strawberry.field(description="Global ID (or integer id).")
    course_offering_id: strawberry.ID
    progress_percent: int = strawberry.field(description="0 to 100; 100 marks it completed.")
    completed_at: datetime | None = None


@strawberry.input(description="Progress on a content item in an offering you are enrolled in.")
class UpsertContentProgressInput:
    content_item_id: strawberry.ID = strawberry.field(description="Global ID (or integer id).")
    course_offering_id: strawberry.ID
    progress_percent: int = strawberry.field(description="0 to 100; 100 marks it completed.")
    completed_at: datetime | None = None
    time_spent_seconds: int = strawberry.field(default=0,
                                               description="Added to the total so far.")


@strawberry.input(description="An attempt at a quiz content item.")
class SubmitQuizAttemptInput:
    content_item_id: strawberry.ID
    course_offering_id: strawberry.ID
    score: float = strawberry.field(description="0 to 100.")
    answers: JSON | None = None


@strawberry.input(description="A lab hand-in.")
class SubmitLabInput:
    content_item_id: strawberry.ID
    course_offering_id: strawberry.ID
    submission: str


@strawberry.input(description="An instructor's grade for a lab submission.")
class GradeLabSubmissionInput:
    submission_id: strawberry.ID = strawberry.field(description="Global ID of the LabSubmission.")
    score: float = strawberry.field(description="0 to 100.")
    feedback: str = ""


@strawberry.type(description="Module progress after a change.")
class ModuleProgressPayload:
    module_progress: ModuleProgress


@strawberry.type(description="Content progress after a change.")
class ContentProgressPayload:
    content_progress: ContentProgress


@strawberry.type(description="The recorded quiz attempt.")
class QuizAttemptPayload:
    quiz_attempt: QuizAttempt


@strawberry.type(description="The lab submission after a change.")
class LabSubmissionPayload:
    lab_submission: LabSubmission


def _item(value: strawberry.ID) -> int:
    return parse_int_id(value, "ContentItem", field="contentItemId")


@strawberry.type
class LearningMutation:
    @strawberry.mutation(description="Create or update your progress on a module.")
    async def upsert_module_progress(self, info: Info,
                                     input: UpsertModuleProgressInput) -> ModuleProgressPayload:
        row = await progress_resolvers.upsert_module_progress(
            info.context, module_id=parse_int_id(input.module_id, "Module", field="moduleId"),
            course_offering_id=_offering(input.course_offering_id),
            progress_percent=input.progress_percent, completed_at=input.completed_at)
        return ModuleProgressPayload(module_progress=ModuleProgress.from_model(row))

    @strawberry.mutation(description="Create or update your progress on a content item.")
    async def upsert_content_progress(self, info: Info,
                                      input: UpsertContentProgressInput) -> ContentProgressPayload:
        row = await progress_resolvers.upsert_content_progress(
            info.context, content_item_id=_item(input.content_item_id),
            course_offering_id=_offering(input.course_offering_id),
            progress_percent=input.progress_percent, completed_at=input.completed_at,
            time_spent_seconds=input.time_spent_seconds)
        return ContentProgressPayload(content_progress=ContentProgress.from_model(row))

    @strawberry.mutation(description="Record an attempt at a quiz (passes at its pass mark, "
                                     "60 unless the quiz sets `pass_mark`).")
    async def submit_quiz_attempt(self, info: Info,
                                  input: SubmitQuizAttemptInput) -> QuizAttemptPayload:
        row = await progress_resolvers.submit_quiz_attempt(
            info.context, content_item_id=_item(input.content_item_id),
            course_offering_id=_offering(input.course_offering_id), score=input.score,
            answers=input.answers)
        return QuizAttemptPayload(quiz_attempt=QuizAttempt.from_model(row))

    @strawberry.mutation(description="Hand in a lab.")
    async def submit_lab(self, info: Info, input: SubmitLabInput) -> LabSubmissionPayload:
        row = await progress_resolvers.submit_lab(
            info.context, content_item_id=_item(input.content_item_id),
            course_offering_id=_offering(input.course_offering_id),
            submission=input.submission)
        return LabSubmissionPayload(lab_submission=LabSubmission.from_model(row))

    @strawberry.mutation(
        description="Grade a lab submission (its course's owner and platform admins).")
    async def grade_lab_submission(self, info: Info,
                                   input: GradeLabSubmissionInput) -> LabSubmissionPayload:
        row = await progress_resolvers.grade_lab_submission(
            info.context,
            submission_id=parse_int_id(input.submission_id, "LabSubmission",
                                       field="submissionId"),
            score=input.score, feedback=input.feedback)
        return LabSubmissionPayload(lab_submission=LabSubmission.from_model(row))
