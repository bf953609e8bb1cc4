"""GraphQL for completing a codelab and reading a completed attendee's certificate."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from core.errors import NotFound
from resolvers import codelab_certificates
from schema.pages import global_int_id


@strawberry.type(description="Proof that an attendee completed a codelab.")
class CodelabCertificate:
    attendee_legacy_id: str
    attendee_name: str
    codelab_id: relay.GlobalID
    codelab_title: str
    author: str
    completed_at: datetime


@strawberry.type(description="The viewer's completed attendance.")
class CompleteCodelabPayload:
    completed_at: datetime


@strawberry.type
class CodelabCertificateQuery:
    @strawberry.field(description="A completed attendee's certificate (public); FORBIDDEN "
                                  "before completion.")
    async def codelab_certificate(self, info: Info, attendee_id: str) -> CodelabCertificate:
        match = re.fullmatch(r"attendee_([0-9a-f]{32})", attendee_id)
        if match is None:
            raise NotFound("Certificate not found")
        found = await codelab_certificates.get_certificate(
            info.context, attendee_user_id=uuid.UUID(match.group(1)))
        return CodelabCertificate(
            attendee_legacy_id=f"attendee_{found.attendee_user_id.hex}",
            attendee_name=found.attendee_name,
            codelab_id=relay.GlobalID("Codelab", str(found.codelab_id)),
            codelab_title=found.codelab_title, author=found.author,
            completed_at=found.completed_at)


@strawberry.type
class CodelabCertificateMutation:
    @strawberry.mutation(description="Complete the codelab the viewer attends, once its "
                                     "quiz and feedback rules are met.")
    async def complete_codelab(self, info: Info,
                               codelab_id: relay.GlobalID) -> CompleteCodelabPayload:
        done = await codelab_certificates.complete(
            info.context, codelab_id=global_int_id(codelab_id, "Codelab", field="codelabId"))
        return CompleteCodelabPayload(completed_at=done)
