"""GraphQL for the course platform: feedback (feature requests).

A malformed FeatureRequest id (see ``schema/pages.py``) is null through ``node`` and
BAD_USER_INPUT ``Invalid FeatureRequest id`` as an argument; a well-formed one with no
request behind it is NOT_FOUND.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay
from strawberry.types import Info

from resolvers import feature_requests
from resolvers import user as user_resolvers
from resolvers.feature_requests import FeatureRequestRow
from schema.pages import Connection, connection, global_int_id, ids_or_none
from schema.user import User


@strawberry.enum(description="Where a feature request stands.")
class FeatureRequestStatus(Enum):
    PENDING = strawberry.enum_value("pending", description="Submitted, not looked at yet.")
    UNDER_REVIEW = strawberry.enum_value("under_review", description="Being considered.")
    PLANNED = strawberry.enum_value("planned", description="Accepted and planned.")
    COMPLETED = strawberry.enum_value("completed", description="Built and released.")
    DECLINED = strawberry.enum_value("declined", description="Will not be built.")


@strawberry.type(description="An idea a user sent to the platform team.")
class FeatureRequest(relay.Node):
    id: relay.NodeID[int]
    number: int = strawberry.field(description="The integer id the course platform shows.")
    title: str = strawberry.field(description="Short summary (3–200 characters).")
    description: str = strawberry.field(description="The request in detail.")
    status: FeatureRequestStatus = strawberry.field(description="Triage status.")
    admin_notes: str | None = strawberry.field(description="Notes from the platform team.")
    created_at: datetime = strawberry.field(description="When it was submitted.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    user_number: int = strawberry.field(description="The author's integer id on the platform.")
    user_name: str = strawberry.field(description="The author's display name.")
    _row: strawberry.Private[FeatureRequestRow]

    @classmethod
    def from_row(cls, row: FeatureRequestRow) -> FeatureRequest:
        request = row.request
        return cls(id=request.id, number=request.id, title=request.title,
                   description=request.description,
                   status=FeatureRequestStatus(request.status), admin_notes=request.admin_notes,
                   created_at=request.created_at, updated_at=request.updated_at,
                   user_number=row.user_number, user_name=row.user_name, _row=row)

    @strawberry.field(description="The author's email; for the author, instructors and admins.")
    def user_email(self, info: Info) -> str | None:
        return feature_requests.author_email(info.context, self._row)

    @strawberry.field(description="The author.")
    async def user(self, info: Info) -> User | None:
        author = await user_resolvers.get(info.context, user_id=self._row.request.user_id)
        return User.from_model(author) if author else None

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[FeatureRequest | None]:
        ids = ids_or_none(node_ids)
        rows = await feature_requests.get_many(info.context, ids=ids)
        return [cls.from_row(r) if r else None for r in rows]


@strawberry.type(description="A page of feature requests, newest first.")
class FeatureRequestConnection(Connection[FeatureRequest]):
    pass


@strawberry.type
class FeedbackQuery:
    @strawberry.field(description="The viewer's own feature requests, newest first.")
    async def my_feature_requests(self, info: Info, first: int | None = None,
                                  after: str | None = None) -> FeatureRequestConnection:
        page = await feature_requests.get_connection(info.context, mine=True, first=first,
                                                     after=after)
        return connection(FeatureRequestConnection, page, FeatureRequest.from_row)

    @strawberry.field(description="Every feature request, newest first (instructors and "
                                  "admins).")
    async def feature_requests(self, info: Info, status: FeatureRequestStatus | None = None,
                               first: int | None = None,
                               after: str | None = None) -> FeatureRequestConnection:
        page = await feature_requests.get_connection(
            info.context, mine=False, status=status.value if status else None, first=first,
            after=after)
        return connection(FeatureRequestConnection, page, FeatureRequest.from_row)


@strawberry.input(description="A new feature request.")
class SubmitFeatureRequestInput:
    title: str = strawberry.field(description="Short summary (3–200 characters).")
    description: str = strawberry.field(description="The request in detail (10–5000 "
                                                    "characters).")


@strawberry.input(description="Triage a feature request; omitted fields stay as they are.")
class UpdateFeatureRequestInput:
    id: relay.GlobalID = strawberry.field(description="The feature request.")
    status: FeatureRequestStatus | None = strawberry.field(default=None,
                                                           description="The new status.")
    admin_notes: str | None = strawberry.field(
        default=strawberry.UNSET, description="New notes; null clears them.")


@strawberry.type(description="The feature request after a change.")
class FeatureRequestPayload:
    feature_request: FeatureRequest = strawberry.field(description="The request.")


def _request_id(global_id: relay.GlobalID) -> int:
    return global_int_id(global_id, "FeatureRequest", field="id")


@strawberry.type
class FeedbackMutation:
    @strawberry.mutation(description="Send the platform team a feature request.")
    async def submit_feature_request(self, info: Info,
                                     input: SubmitFeatureRequestInput) -> FeatureRequestPayload:
        row = await feature_requests.create(info.context, title=input.title,
                                            description=input.description)
        return FeatureRequestPayload(feature_request=FeatureRequest.from_row(row))

    @strawberry.mutation(description="Change a feature request's status or notes (instructors "
                                     "and admins).")
    async def update_feature_request(self, info: Info,
                                     input: UpdateFeatureRequestInput) -> FeatureRequestPayload:
        changes: dict = {"status": input.status.value if input.status else None}
        if input.admin_notes is not strawberry.UNSET:
            changes["admin_notes"] = input.admin_notes
        row = await feature_requests.update(info.context,
                                            feature_request_id=_request_id(input.id), **changes)
        return FeatureRequestPayload(feature_request=FeatureRequest.from_row(row))
