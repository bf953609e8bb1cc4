"""GraphQL for enrollments."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay
from strawberry.types import Info

from loaders.catalog import CourseOfferingByIdLoader
from loaders.user import UserByIdLoader
from models.course import Enrollment as EnrollmentModel
from resolvers import enrollments
from schema.catalog_common import decode_id, page_args
from schema.courses import CourseOffering
from schema.pages import Connection, connection, ids_or_zero
from schema.user import User


@strawberry.enum(description="Where a learner stands in a course offering.")
class EnrollmentStatus(Enum):
    ACTIVE = strawberry.enum_value("ACTIVE", description="Enrolled and studying.")
    COMPLETED = strawberry.enum_value("COMPLETED", description="Finished the offering.")
    DROPPED = strawberry.enum_value(
        "DROPPED", description="The learner dropped the offering; enrolling again makes it active.")
    WITHDRAWN = strawberry.enum_value(
        "WITHDRAWN", description="The staff withdrew the learner; it stays withdrawn.")
    PENDING = strawberry.enum_value("PENDING", description="Waiting to be admitted.")


@strawberry.type(description="A learner's place in a course offering.")
class Enrollment(relay.Node):
    id: relay.NodeID[int]
    status: EnrollmentStatus = strawberry.field(description="Where the learner stands.")
    enrolled_at: datetime = strawberry.field(description="When the learner enrolled.")
    completed_at: datetime | None = strawberry.field(description="When it became COMPLETED.")
    _model: strawberry.Private[EnrollmentModel]

    @classmethod
    def from_model(cls, row: EnrollmentModel) -> Enrollment:
        return cls(id=row.id, status=EnrollmentStatus(row.status), enrolled_at=row.enrolled_at,
                   completed_at=row.completed_at, _model=row)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Enrollment | None]:
        rows = await enrollments.get_many(info.context, ids=ids_or_zero(node_ids))
        return [cls.from_model(r) if r else None for r in rows]

    @strawberry.field(description="The offering the learner is enrolled in.")
    async def course_offering(self, info: Info) -> CourseOffering:
        row = await info.context.loaders.get(CourseOfferingByIdLoader).load(
            self._model.course_offering_id)
        return CourseOffering.from_model(row)

    @strawberry.field(description="The learner.")
    async def user(self, info: Info) -> User:
        return User.from_model(
            await info.context.loaders.get(UserByIdLoader).load(self._model.user_id))


@strawberry.type(description="A page of enrollments.")
class EnrollmentConnection(Connection[Enrollment]):
    pass


async def enrollments_connection(info: Info, user_id: uuid.UUID, first: int | None,
                                 after: str | None) -> EnrollmentConnection:
    """A user's enrollments as a connection (for ``User.enrollments``); the user themself or
    a platform admin."""
    page = await enrollments.get_all_for_user(info.context, user_id=user_id,
                                              page=page_args(first, after))
    return connection(EnrollmentConnection, page, Enrollment.from_model)


@strawberry.input(description="The offering to enroll the viewer in.")
class EnrollInput:
    course_offering_id: relay.GlobalID


@strawberry.input(description="A new status for an enrollment.")
class UpdateEnrollmentStatusInput:
    id: relay.GlobalID
    status: EnrollmentStatus


@strawberry.type(description="An enrollment after a change.")
class EnrollmentPayload:
    enrollment: Enrollment


@strawberry.type
class EnrollmentQuery:
    @strawberry.field(description="The viewer's enrollments in the order they were made.")
    async def my_enrollments(self, info: Info, first: int | None = None,
                             after: str | None = None) -> EnrollmentConnection:
        return await enrollments_connection(info, info.context.viewer.require_user(), first,
                                            after)


@strawberry.type
class EnrollmentMutation:
    @strawberry.mutation(description="Enroll the viewer in an offering whose enrollment "
                                     "window is open.")
    async def enroll(self, info: Info, input: EnrollInput) -> EnrollmentPayload:
        row = await enrollments.enroll(
            info.context, course_offering_id=decode_id(input.course_offering_id,
                                                       "CourseOffering"))
        return EnrollmentPayload(enrollment=Enrollment.from_model(row))

    @strawberry.mutation(description="Change an enrollment's status (its learner, an "
                                     "instructor or a platform admin).")
    async def update_enrollment_status(self, info: Info, input: UpdateEnrollmentStatusInput
                                       ) -> EnrollmentPayload:
        row = await enrollments.update_status(
            info.context, enrollment_id=decode_id(input.id, "Enrollment"),
            status=input.status.value)
        return EnrollmentPayload(enrollment=Enrollment.from_model(row))
