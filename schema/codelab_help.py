"""GraphQL for workshop help requests and feedback (the Codelabs face's resolvers)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay
from strawberry.types import Info

from resolvers import codelab_feedback, codelab_help
from resolvers.codelab_feedback import Feedback
from resolvers.codelab_help import HelpRequest
from schema.pages import global_int_id


@strawberry.enum(description="Whether a raised hand was seen to.")
class CodelabHelpStatus(Enum):
    PENDING = strawberry.enum_value("pending", description="Still waiting for a facilitator.")
    RESOLVED = strawberry.enum_value("resolved", description="A facilitator resolved it.")


@strawberry.type(description="An attendee's raised hand on a step.")
class CodelabHelpRequest:
    id: relay.GlobalID = strawberry.field(description="Pass it to `resolveCodelabHelpRequest`.")
    attendee_legacy_id: str = strawberry.field(description="The attendee (`attendee_<hex>`).")
    attendee_name: str = strawberry.field(description="The attendee's name.")
    step_number: int = strawberry.field(description="The step they need help with.")
    status: CodelabHelpStatus = strawberry.field(description="Whether it was seen to.")
    created_at: datetime = strawberry.field(description="When they asked.")

    @classmethod
    def from_found(cls, found: HelpRequest) -> CodelabHelpRequest:
        row = found.row
        return cls(id=relay.GlobalID("CodelabHelpRequest", str(row.id)),
                   attendee_legacy_id=f"attendee_{found.attendee_user_id.hex}",
                   attendee_name=found.attendee_name, step_number=row.step_number,
                   status=CodelabHelpStatus(row.status), created_at=row.created_at)


@strawberry.type(description="An attendee's feedback on a codelab.")
class CodelabFeedback:
    attendee_legacy_id: str = strawberry.field(description="The attendee (`attendee_<hex>`).")
    difficulty: int = strawberry.field(description="1 (easy) to 5 (hard).")
    satisfaction: int = strawberry.field(description="1 to 5.")
    comment: str | None = strawberry.field(description="Free text, at most 2,000 characters.")
    created_at: datetime = strawberry.field(description="When it was given.")

    @classmethod
    def from_found(cls, found: Feedback) -> CodelabFeedback:
        row = found.row
        return cls(attendee_legacy_id=f"attendee_{found.attendee_user_id.hex}",
                   difficulty=row.difficulty, satisfaction=row.satisfaction,
                   comment=row.comment, created_at=row.created_at)


@strawberry.input(description="Feedback on the codelab the viewer attends.")
class SubmitCodelabFeedbackInput:
    codelab_id: relay.GlobalID
    difficulty: int = strawberry.field(description="1 to 5.")
    satisfaction: int = strawberry.field(description="1 to 5.")
    comment: str | None = None


@strawberry.type(description="The feedback just given.")
class CodelabFeedbackPayload:
    feedback: CodelabFeedback


@strawberry.type(description="The outcome of a help request change.")
class CodelabHelpPayload:
    ok: bool


def _codelab_id(value: relay.GlobalID) -> int:
    return global_int_id(value, "Codelab", field="codelabId")


@strawberry.type
class CodelabHelpMutation:
    @strawberry.mutation(description="Ask for help on a step of the codelab the viewer "
                                      "attends.")
    async def request_codelab_help(self, info: Info, codelab_id: relay.GlobalID,
                                   step_number: int) -> CodelabHelpPayload:
        await codelab_help.create(info.context, codelab_id=_codelab_id(codelab_id),
                                  step_number=step_number)
        return CodelabHelpPayload(ok=True)

    @strawberry.mutation(description="Resolve a help request (the codelab's facilitators).")
    async def resolve_codelab_help_request(self, info: Info, codelab_id: relay.GlobalID,
                                           id: relay.GlobalID) -> CodelabHelpPayload:
        await codelab_help.resolve(info.context, codelab_id=_codelab_id(codelab_id),
                                   help_id=global_int_id(id, "CodelabHelpRequest", field="id"))
        return CodelabHelpPayload(ok=True)

    @strawberry.mutation(description="Give feedback once on the codelab the viewer attends.")
    async def submit_codelab_feedback(self, info: Info, input: SubmitCodelabFeedbackInput
                                      ) -> CodelabFeedbackPayload:
        found = await codelab_feedback.create(
            info.context, codelab_id=_codelab_id(input.codelab_id), difficulty=input.difficulty,
            satisfaction=input.satisfaction, comment=input.comment)
        return CodelabFeedbackPayload(feedback=CodelabFeedback.from_found(found))
