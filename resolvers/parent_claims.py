"""Parents claiming a child, and the child's teacher deciding.

A parent asks with the child's username and PIN (the ones the teacher gave the
family): a wrong pair is Forbidden ``invalid_child_credentials``, and a parent may ask
10 times per 15 minutes (429 after, so PINs cannot be guessed through claims). Asking
again while a claim is open answers the open claim. A child already linked to this
parent is Conflict ``already_linked``, to another parent ``child_already_claimed``.
The ask notifies the class's teacher (``parent_claim_request``).

The class's teacher (or a platform admin) approves: the child's ``parent_id`` becomes
the parent, the claim's notification is marked read, and a durable job mails the
parent PARENT_CLAIM_APPROVED (a mail server that is down delays the mail; the job
tries again). Approving an approved claim again is fine and mails nothing more; an
approved claim cannot be rejected, nor a rejected one approved (Conflict
``claim_decided``). Another teacher's claim is Forbidden, an unknown one NotFound.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from pydantic import StringConstraints
from sqlalchemy import false, func, or_, select, true, update

from core import jobs, mail, ratelimit
from core.auth import passwords
from core.context import Context
from core.errors import Conflict, Forbidden, NotFound
from core.planning import VIEWER_ID, viewer_params
from models.roster import ParentClaim, SchoolClass, Student, TeacherNotification
from models.user import ChildCredential, User
from resolvers import portal_roles, roster, teacher_notifications
from resolvers.reading import Input

CLAIMS_PER_WINDOW, CLAIM_WINDOW_SECONDS = 10, 15 * 60
# A parent's own list shows their newest claims, at most this many.
MINE_MAXIMUM = 100
MAIL_JOB = "roster.parent_claim_approved"


class ClaimIn(Input):
    """What a parent knows of their child."""

    username: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                               max_length=64)]
    pin: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{4,8}$")]


@dataclass(frozen=True)
class ClaimView:
    claim: ParentClaim
    child_name: str


class InvalidChildCredentials(Forbidden):
    code = "invalid_child_credentials"


async def request(ctx: Context, *, data: ClaimIn) -> ClaimView:
    """A parent asks to be linked to the child ``data`` names (see the module)."""
    portal_roles.require_any(ctx, frozenset({portal_roles.PARENT}))
    parent_id = ctx.viewer.require_user()
    await ratelimit.hit(ctx.db, key=f"parent-claims:{parent_id}", limit=CLAIMS_PER_WINDOW,
                        window_seconds=CLAIM_WINDOW_SECONDS)
    async with ctx.db.read() as session:
        found = (await session.execute(
            select(Student, ChildCredential.pin_hash)
            .join(ChildCredential, ChildCredential.user_id == Student.user_id)
            .where(func.lower(ChildCredential.username) == data.username.lower()))).first()
    # A wrong username costs a hash as a wrong PIN does.
    if not await passwords.verify_password(found[1] if found else None, data.pin,
                                           cost=roster.PIN_COST):
        raise InvalidChildCredentials("No child has this username and PIN")
    student = found[0]
    async with ctx.db.transaction() as session:
        student = await session.get(Student, student.id, with_for_update=True)
        if student.parent_id == parent_id:
            raise Conflict("This child is already linked to your account",
                           code="already_linked")
        if student.parent_id is not None:
            raise Conflict("This child is already linked to another parent",
                           code="child_already_claimed")
        claim = (await session.execute(select(ParentClaim).where(
            ParentClaim.student_id == student.id, ParentClaim.parent_id == parent_id,
            ParentClaim.status == "pending"))).scalar_one_or_none()
        if claim is None:
            claim = ParentClaim(student_id=student.id, parent_id=parent_id)
            session.add(claim)
            await session.flush()
            await session.refresh(claim)
            parent = await session.get(User, parent_id)
            who = parent.display_name or parent.email or "A parent"
            await teacher_notifications.raise_for_student(
                session, student=student, type="parent_claim_request",
                event_key=f"parent_claim_request:{claim.id}", claim_id=claim.id,
                action_url=f"/parent-claims/{claim.id}",
                message=f"{who} asks to be linked to {student.name} as their parent.")
    return ClaimView(claim=claim, child_name=student.name)


async def _decide(ctx: Context, claim_id: int, status: str) -> ClaimView:
    portal_roles.require_any(ctx, portal_roles.STAFF)
    async with ctx.db.transaction() as session:
        claim = await session.get(ParentClaim, claim_id, with_for_update=True)
        if claim is None:
            raise NotFound("Claim not found")
        student = await session.get(Student, claim.student_id, with_for_update=True)
        teacher_id = (await session.execute(select(SchoolClass.teacher_id).where(
            SchoolClass.id == student.class_id))).scalar_one()
        if teacher_id != ctx.viewer.user_id and not ctx.viewer.is_admin:
            raise Forbidden("This claim is for another teacher's class")
        view = ClaimView(claim=claim, child_name=student.name)
        if claim.status == status:
            return view
        if claim.status != "pending":
            raise Conflict(f"This claim was {claim.status} already", code="claim_decided",
                           details={"status": claim.status})
        if status == "approved":
            if student.parent_id not in (None, claim.parent_id):
                raise Conflict("This child is already linked to another parent",
                               code="child_already_claimed")
            student.parent_id = claim.parent_id
            await jobs.enqueue(session, MAIL_JOB, {"claim_id": claim.id},
                               dedupe_key=f"{MAIL_JOB}:{claim.id}")
        claim.status = status
        claim.decided_at = datetime.now(UTC)
        claim.decided_by = ctx.viewer.user_id
        await session.execute(update(TeacherNotification).where(
            TeacherNotification.claim_id == claim.id,
            TeacherNotification.read_at.is_(None)).values(read_at=func.now()))
    if status == "approved":
        await jobs.notify_enqueued(ctx.services)
    return view


async def approve(ctx: Context, *, claim_id: int) -> ClaimView:
    """Link the claim's parent to the child and mail the parent (see the module)."""
    return await _decide(ctx, claim_id, "approved")


async def reject(ctx: Context, *, claim_id: int) -> ClaimView:
    """Turn the claim down; the child stays unlinked."""
    return await _decide(ctx, claim_id, "rejected")


def visible_rule(viewer):
    """Who reads a claim by its id: its parent, the teacher of the child's class (who
    decides it) and platform admins, as a SQL condition on claims."""
    if viewer.user_id is None:
        return false()
    if viewer.is_admin:
        return true()
    seen = []
    if portal_roles.PARENT in viewer.roles:
        seen.append(ParentClaim.parent_id == VIEWER_ID)
    if portal_roles.STAFF & viewer.roles:
        seen.append(ParentClaim.student_id.in_(
            select(Student.id).join(SchoolClass, SchoolClass.id == Student.class_id)
            .where(SchoolClass.teacher_id == VIEWER_ID)))
    return or_(*seen) if seen else false()


async def get_many(ctx: Context, *, claim_ids: list[int]) -> list[ClaimView | None]:
    """Claims by id in one query; None where missing or not the viewer's to read."""
    async with ctx.db.read() as session:
        rows = (await session.execute(
            select(ParentClaim, Student.name).join(Student, Student.id == ParentClaim.student_id)
            .where(ParentClaim.id.in_(claim_ids), visible_rule(ctx.viewer)),
            {VIEWER_ID.key: ctx.viewer.user_id})).all()
    found = {claim.id: ClaimView(claim=claim, child_name=name) for claim, name in rows}
    return [found.get(i) for i in claim_ids]


def may_list_mine(viewer) -> bool:
    """Who lists their own claims (``get_mine``): a signed-in parent, or a platform admin
    (whose list holds the claims they made as a parent, if any)."""
    return portal_roles.holds_any(viewer, frozenset({portal_roles.PARENT}))


def mine_rule(viewer):
    """The viewer's own claims, as a SQL condition on claims."""
    return ParentClaim.parent_id == VIEWER_ID


async def get_mine(ctx: Context) -> list[ClaimView]:
    """The signed-in parent's claims, newest first: the ``MINE_MAXIMUM`` newest."""
    portal_roles.require_any(ctx, frozenset({portal_roles.PARENT}))
    async with ctx.db.read() as session:
        rows = (await session.execute(
            select(ParentClaim, Student.name).join(Student, Student.id == ParentClaim.student_id)
            .where(mine_rule(ctx.viewer)).order_by(ParentClaim.id.desc())
            .limit(MINE_MAXIMUM), viewer_params(ctx.viewer))).all()
    return [ClaimView(claim=claim, child_name=name) for claim, name in rows]


def approved_mail(parent: User, child_name: str) -> mail.Mail:
    """PARENT_CLAIM_APPROVED."""
    greeting = f"Hello {parent.display_name}," if parent.display_name else "Hello,"
    return mail.Mail(
        to=parent.email or "", subject=f"You are now linked to {child_name}'s reading account",
        text=f"{greeting}\n\n{child_name}'s teacher has approved your request: you are now "
             f"linked to {child_name}'s reading account and can follow their reading.\n")


@jobs.job(MAIL_JOB)
async def _send_approved_mail(services, payload: dict) -> None:
    async with services.db.read() as session:
        row = (await session.execute(
            select(User, Student.name).join(ParentClaim, ParentClaim.parent_id == User.id)
            .join(Student, Student.id == ParentClaim.student_id)
            .where(ParentClaim.id == int(payload["claim_id"]),
                   ParentClaim.status == "approved"))).first()
    if row is None or not row[0].email:
        return  # the claim or the parent is gone, or the parent has no address
    await mail.send(services.settings, approved_mail(row[0], row[1]))

