"""GraphQL for parents' claims on a child: the same resolvers as the Pickatale teacher
portal, with the same rules."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from resolvers import parent_claims
from resolvers.parent_claims import ClaimView
from resolvers.reading import parse
from schema.pages import ids_or_zero, parse_int_id


@strawberry.enum(description="Where a parent's claim on a child stands.")
class ParentClaimStatus(Enum):
    PENDING = strawberry.enum_value("pending", description="Waiting for the teacher.")
    APPROVED = strawberry.enum_value("approved", description="Parent and child are linked.")
    REJECTED = strawberry.enum_value("rejected", description="Turned down.")


@strawberry.type(description="A parent's claim on a child.")
class ParentClaim(relay.Node):
    id: relay.NodeID[int]
    number: int = strawberry.field(description="Its number (the teacher portal's "
                                               "`claim_id`).")
    status: ParentClaimStatus = strawberry.field(description="Where it stands.")
    child_name: str = strawberry.field(description="The child claimed.")
    created_at: datetime = strawberry.field(description="When the parent asked.")
    decided_at: datetime | None = strawberry.field(description="When the teacher decided.")

    @classmethod
    def from_view(cls, view: ClaimView) -> ParentClaim:
        claim = view.claim
        return cls(id=claim.id, number=claim.id,
                   status=ParentClaimStatus(claim.status), child_name=view.child_name,
                   created_at=claim.created_at, decided_at=claim.decided_at)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[ParentClaim | None]:
        views = await parent_claims.get_many(info.context, claim_ids=ids_or_zero(node_ids))
        return [cls.from_view(v) if v else None for v in views]


@strawberry.input(description="The child a parent claims: the username and PIN their "
                              "teacher gave the family.")
class RequestParentClaimInput:
    username: str = strawberry.field(description="The child's username.")
    pin: str = strawberry.field(description="The child's PIN, 4 to 8 digits.")


@strawberry.type(description="A parent's claim after the change.")
class ParentClaimPayload:
    claim: ParentClaim = strawberry.field(description="The claim.")


IdArg = Annotated[strawberry.ID, strawberry.argument(description="Its global id or number.")]


@strawberry.type
class ParentClaimQuery:
    @strawberry.field(description="The signed-in parent's claims, newest first (the "
                                  f"{parent_claims.MINE_MAXIMUM} newest).")
    async def my_parent_claims(self, info: Info) -> list[ParentClaim]:
        return [ParentClaim.from_view(v) for v in await parent_claims.get_mine(info.context)]


@strawberry.type
class ParentClaimMutation:
    @strawberry.mutation(description="A parent asks to be linked to a child; the child's "
                                     "teacher decides.")
    async def request_parent_claim(self, info: Info, input: Annotated[
            RequestParentClaimInput, strawberry.argument(description="The child.")],
    ) -> ParentClaimPayload:
        data = parse(parent_claims.ClaimIn, {"username": input.username, "pin": input.pin})
        return ParentClaimPayload(claim=ParentClaim.from_view(
            await parent_claims.request(info.context, data=data)))

    @strawberry.mutation(description="Approve a parent's claim: link parent and child, and "
                                     "mail the parent (the child's teacher).")
    async def approve_parent_claim(self, info: Info, id: IdArg) -> ParentClaimPayload:
        claim_id = parse_int_id(str(id), "ParentClaim", field="id")
        return ParentClaimPayload(claim=ParentClaim.from_view(
            await parent_claims.approve(info.context, claim_id=claim_id)))

    @strawberry.mutation(description="Turn a parent's claim down (the child's teacher).")
    async def reject_parent_claim(self, info: Info, id: IdArg) -> ParentClaimPayload:
        claim_id = parse_int_id(str(id), "ParentClaim", field="id")
        return ParentClaimPayload(claim=ParentClaim.from_view(
            await parent_claims.reject(info.context, claim_id=claim_id)))
