"""GraphQL for the curriculum mapper and the orchestrator.

The same resolvers as the Pickatale curriculum mapper and orchestrator services,
with the same rules (``X-Internal-Key`` or a platform admin). Objectives page like
the REST list: ``limit`` 1–200 (default 50) and the ``nextCursor`` of the page before.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from resolvers import curriculum, curriculum_intelligence, orchestrator
from resolvers.curriculum import ObjectivesFilter
from resolvers.curriculum_intelligence import IntelligenceIn
from resolvers.reading import parse
from schema.pages import parse_int_id

OBJECTIVE = "CurriculumObjective"


def objective_global_id(number: int | None) -> relay.GlobalID | None:
    """The global ID of the objective numbered ``number``, or None."""
    return None if number is None else relay.GlobalID(OBJECTIVE, str(number))


@strawberry.type(description="A learning objective of a territory's curriculum.")
class CurriculumObjective:
    id: relay.GlobalID = strawberry.field(
        description="The objective's global ID (what `objectiveId` fields answer).")
    number: int = strawberry.field(description="The objective's number (the REST faces' id).")
    territory: str = strawberry.field(description="Country or region of the curriculum.")
    year_level: int = strawberry.field(description="School year.")
    subject: str = strawberry.field(description="Subject, such as English.")
    title: str = strawberry.field(description="Short title.")
    description: str = strawberry.field(description="What the learner should be able to do.")
    difficulty: int = strawberry.field(description="Difficulty, 1–5.")
    vocabulary: list[str] = strawberry.field(description="Words the objective teaches.")
    story_potential_score: float = strawberry.field(
        description="How well the objective lends itself to a story, 0–1.")


@strawberry.type(description="A page of objectives.")
class CurriculumObjectivePage:
    objectives: list[CurriculumObjective] = strawberry.field(description="The objectives.")
    next_cursor: str | None = strawberry.field(description="Cursor of the next page.")
    has_more: bool = strawberry.field(description="Whether another page follows.")


@strawberry.enum(description="What an orchestration run did.")
class OrchestrationRunStatus(Enum):
    TRIGGERED = strawberry.enum_value(
        "triggered", description="It ran: content was chosen and, for a catalog book, "
                                 "questions are being prepared.")


@strawberry.enum(description="Where the content an orchestration chose comes from.")
class ContentSource(Enum):
    CONTENT_SERVICE = strawberry.enum_value(
        "content_service", description="A book of the catalog.")
    DECODABLES = strawberry.enum_value(
        "decodables", description="A decodable book, for a learner below level 1.5.")
    PICKATALE_CREATE = strawberry.enum_value(
        "pickatale_create", description="No book fits: one is to be written for the learner.")


@strawberry.enum(description="What the learner's latest quiz on the chosen content says.")
class MasteryResult(Enum):
    DROP = strawberry.enum_value(
        "drop", description="The quiz recommends a lower level: served again, lower.")
    HOLD = strawberry.enum_value(
        "hold", description="The quiz recommends the same level: served again differently.")
    RAISE = strawberry.enum_value(
        "raise", description="The quiz recommends a higher level: on to the next objective.")
    PENDING = strawberry.enum_value("pending", description="No quiz on it yet.")


@strawberry.type(description="One run of the gap-to-content loop.")
class OrchestrationRun:
    status: OrchestrationRunStatus = strawberry.field(description="Always TRIGGERED.")
    objective_id: relay.GlobalID | None = strawberry.field(
        description="The global ID of the objective chosen (`CurriculumObjective.id`).")
    content_selected: str | None = strawberry.field(description="The book or lesson book.")
    content_source: ContentSource = strawberry.field(description="Where the content is from.")
    fk_level_target: float = strawberry.field(description="The grade to read at.")
    assessment_queued: bool = strawberry.field(description="Whether questions are prepared.")


@strawberry.type(description="The last orchestration for a learner and what came of it.")
class OrchestrationStatus:
    last_run: datetime = strawberry.field(description="When it ran.")
    objective_id: relay.GlobalID | None = strawberry.field(
        description="The global ID of the objective chosen (`CurriculumObjective.id`).")
    mastery_result: MasteryResult = strawberry.field(
        description="What the latest quiz on the content says.")
    next_action: str = strawberry.field(description="What the loop does next.")


@strawberry.enum(description="Kinds of material generateIntelligence makes for an objective.")
class IntelligenceType(Enum):
    BOOK_BRIEF = strawberry.enum_value(
        "book_brief", description="A brief on a book that teaches the objective.")
    TEACHER_BRIEF = strawberry.enum_value(
        "teacher_brief", description="A brief for the teacher on teaching the objective.")
    HTML_ACTIVITY = strawberry.enum_value(
        "html_activity", description="An interactive activity, as an HTML page.")
    VIDEO_SCRIPT = strawberry.enum_value("video_script", description="The script of a short video.")
    REMOTION_SCRIPT = strawberry.enum_value(
        "remotion_script", description="A script for a Remotion (programmatic) video.")


@strawberry.type(description="Generated material for an objective.")
class IntelligencePayload:
    type: IntelligenceType = strawberry.field(description="What was asked for.")
    content: str = strawberry.field(description="The material: JSON, Markdown or HTML text.")


@strawberry.type
class CurriculumQuery:
    @strawberry.field(description="Objectives by territory, year level and subject (services "
                                  "and admins).")
    async def curriculum_objectives(self, info: Info, territory: str | None = None,
                                    year_level: int | None = None, subject: str | None = None,
                                    cursor: str | None = None,
                                    limit: int = 50) -> CurriculumObjectivePage:
        filters = parse(ObjectivesFilter, {"territory": territory, "year_level": year_level,
                                           "subject": subject, "cursor": cursor,
                                           "limit": limit})
        page = await curriculum.get_objectives(info.context, filters=filters)
        return CurriculumObjectivePage(
            objectives=[CurriculumObjective(
                id=objective_global_id(o.id), number=o.id, territory=o.territory,
                year_level=o.year_level, subject=o.subject,
                title=o.title, description=o.description, difficulty=o.difficulty,
                vocabulary=o.vocabulary, story_potential_score=o.story_potential_score)
                for o in page.objectives],
            next_cursor=page.next_cursor, has_more=page.next_cursor is not None)

    @strawberry.field(description="The last orchestration for a learner (services and admins).")
    async def orchestration_status(self, info: Info,
                                   learner_id: uuid.UUID) -> OrchestrationStatus:
        last = await orchestrator.get_status(info.context, learner_id=learner_id)
        return OrchestrationStatus(last_run=last.last_run,
                                   objective_id=objective_global_id(last.objective_id),
                                   mastery_result=MasteryResult(last.mastery_result),
                                   next_action=last.next_action)


@strawberry.type
class CurriculumMutation:
    @strawberry.mutation(description="Generate lesson material for an objective: a lesson "
                                     "book, a teacher brief, an HTML activity, a video script "
                                     "(by the LLM) or a Remotion scene array (from the stored "
                                     "lesson book). For signed-in users.")
    async def generate_intelligence(
            self, info: Info,
            objective_id: Annotated[strawberry.ID, strawberry.argument(
                description="The objective's global ID (`CurriculumObjective.id`); its "
                            "number is accepted too.")],
            type: IntelligenceType) -> IntelligencePayload:
        number = parse_int_id(objective_id, OBJECTIVE, field="objectiveId")
        request = parse(IntelligenceIn, {"objectiveId": number, "type": type.value})
        result = await curriculum_intelligence.generate(info.context, request=request)
        return IntelligencePayload(type=IntelligenceType(result.type), content=result.content)

    @strawberry.mutation(description="Run the gap-to-content loop for a learner (services and "
                                     "admins).")
    async def orchestrate_learner(self, info: Info, learner_id: uuid.UUID) -> OrchestrationRun:
        run = await orchestrator.orchestrate(info.context, learner_id=learner_id)
        return OrchestrationRun(status=OrchestrationRunStatus.TRIGGERED,
                                objective_id=objective_global_id(run.objective_id),
                                content_selected=run.content_selected,
                                content_source=ContentSource(run.content_source),
                                fk_level_target=run.fk_level_target,
                                assessment_queued=run.assessment_queued)
