"""GraphQL for workshops (codelabs): codelabs, their steps and attendees, and the
workshop sign-in. Every field calls the resolvers the Codelabs face calls.

The facilitator and attendee sign-ins answer a Bearer access token (the face
sets it in the ``oc_session`` cookie instead).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from loaders.catalog import ModuleByIdLoader
from resolvers import codelab_attendees, codelab_feedback, codelab_help, codelabs
from resolvers import codelab_quizzes as quizzes
from resolvers.catalog import PageArgs
from resolvers.changes import OMITTED, sent
from resolvers.codelab_attendees import Attendee
from resolvers.codelabs import CodelabView, StepInput
from schema import codelab_files
from schema.codelab_files import After, First
from schema.codelab_help import CodelabFeedback, CodelabHelpRequest
from schema.codelab_quizzes import CodelabQuiz, CodelabQuizSubmission
from schema.pages import Connection, connection, global_int_id, ids_or_zero


@strawberry.type(description="One step of a codelab (a module of its course).")
class CodelabStep(relay.Node):
    id: relay.NodeID[int]
    step_number: int = strawberry.field(description="1 for the first step.")
    title: str = strawberry.field(description="The step's title.")
    content_markdown: str = strawberry.field(description="The step's text, in Markdown.")
    legacy_id: str = strawberry.field(description="The id the Codelabs face shows "
                                                  "(`step_<n>`).")

    @classmethod
    def from_module(cls, module, number: int) -> CodelabStep:
        return cls(id=module.id, step_number=number, title=module.title,
                   content_markdown=module.description, legacy_id=f"step_{module.id}")

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[CodelabStep | None]:
        modules = await info.context.loaders.get(ModuleByIdLoader).load_many(
            ids_or_zero(node_ids))
        found: list[CodelabStep | None] = []
        for module in modules:
            step = None
            if module is not None:
                [view] = await codelabs.get_many(info.context, ids=[module.course_id])
                if view is not None:
                    steps = await codelabs.get_steps(info.context, codelab_id=view.id)
                    number = next(i for i, s in enumerate(steps) if s.id == module.id) + 1
                    step = cls.from_module(module, number)
            found.append(step)
        return found


@strawberry.type(description="Someone registered to a codelab (an enrollment of a guest "
                             "user).")
class CodelabAttendee:
    legacy_id: str = strawberry.field(description="The id the Codelabs face shows "
                                                  "(`attendee_<hex>`).")
    name: str = strawberry.field(description="The name given at registration.")
    email: str | None = strawberry.field(description="For the codelab's facilitators and the "
                                                     "attendee; null otherwise.")
    current_step: int = strawberry.field(description="The step the attendee is on.")
    is_completed: bool = strawberry.field(description="Whether the attendee completed it.")
    completed_at: datetime | None = strawberry.field(description="When they completed it.")
    created_at: datetime = strawberry.field(description="When they registered.")

    @classmethod
    def from_attendee(cls, found: Attendee, *, show_email: bool) -> CodelabAttendee:
        return cls(legacy_id=f"attendee_{found.row.user_id.hex}", name=found.name,
                   email=found.row.email if show_email else None,
                   current_step=found.row.current_step, is_completed=found.is_completed,
                   completed_at=found.enrollment.completed_at,
                   created_at=found.enrollment.enrolled_at)


@strawberry.type(description="A hands-on workshop: a course of kind CODELAB whose modules "
                             "are its steps.")
class Codelab(relay.Node):
    id: relay.NodeID[int]
    legacy_id: str = strawberry.field(description="The id the Codelabs face shows "
                                                  "(`codelab_<n>`).")
    title: str = strawberry.field(description="The codelab's title.")
    description: str = strawberry.field(description="What it is about.")
    author: str = strawberry.field(description="Who wrote it.")
    is_public: bool = strawberry.field(description="Listed and readable by anyone.")
    quiz_enabled: bool = strawberry.field(description="Whether it has a quiz.")
    require_quiz: bool = strawberry.field(description="Completion needs the quiz passed.")
    require_feedback: bool = strawberry.field(description="Completion needs feedback given.")
    guide_markdown: str | None = strawberry.field(description="The facilitator's prep guide.")
    created_at: datetime = strawberry.field(description="When it was created.")
    _view: strawberry.Private[CodelabView]

    @classmethod
    def from_view(cls, view: CodelabView) -> Codelab:
        course, settings = view.course, view.codelab
        return cls(id=course.id, legacy_id=f"codelab_{course.id}", title=course.title,
                   description=course.description, author=settings.author,
                   is_public=course.is_published, quiz_enabled=settings.quiz_enabled,
                   require_quiz=settings.require_quiz,
                   require_feedback=settings.require_feedback,
                   guide_markdown=settings.guide_markdown, created_at=course.created_at,
                   _view=view)

    @strawberry.field(description="What attendees type to register; for its facilitators "
                                  "only (null otherwise).")
    def attendance_code(self, info: Info) -> str | None:
        if codelabs.can_facilitate(info.context.viewer, self._view.course):
            return self._view.codelab.attendance_code
        return None

    @strawberry.field(description="The steps in order.")
    async def steps(self, info: Info) -> list[CodelabStep]:
        modules = await codelabs.get_steps(info.context, codelab_id=self.id)
        return [CodelabStep.from_module(m, i + 1) for i, m in enumerate(modules)]

    @strawberry.field(description="Attendees, newest first (its facilitators and attendees).")
    async def attendees(self, info: Info) -> list[CodelabAttendee]:
        found = await codelab_attendees.get_all(info.context, codelab_id=self.id)
        return [CodelabAttendee.from_attendee(
            a, show_email=codelab_attendees.shows_email(info.context, self._view, a))
            for a in found]

    @strawberry.field(description="Pending help requests, newest first (its facilitators and "
                                  "attendees).")
    async def help_requests(self, info: Info) -> list[CodelabHelpRequest]:
        found = await codelab_help.get_pending(info.context, codelab_id=self.id)
        return [CodelabHelpRequest.from_found(h) for h in found]

    @strawberry.field(description="Attendees' feedback, newest first (its facilitators).")
    async def feedback(self, info: Info) -> list[CodelabFeedback]:
        found = await codelab_feedback.get_all(info.context, codelab_id=self.id)
        return [CodelabFeedback.from_found(f) for f in found]

    @strawberry.field(description="The quiz in order (its facilitators and attendees; the "
                                  "answers for facilitators only).")
    async def quizzes(self, info: Info) -> list[CodelabQuiz]:
        found = await quizzes.get_all(info.context, codelab_id=self.id)
        return [CodelabQuiz.from_found(q) for q in found]

    @strawberry.field(description="Every graded answer, newest first (its facilitators).")
    async def quiz_submissions(self, info: Info) -> list[CodelabQuizSubmission]:
        found = await quizzes.get_submissions(info.context, codelab_id=self.id)
        return [CodelabQuizSubmission.from_found(s) for s in found]

    @strawberry.field(description="Links and files offered to attendees, in the order they "
                                  "were added (whoever may read the codelab).")
    async def materials(
            self, info: Info,
            first: First = None, after: After = None
    ) -> codelab_files.CodelabMaterialConnection:
        return await codelab_files.materials_page(info, self.id, first, after)

    @strawberry.field(description="Files attendees handed in, in that order: all for its "
                                  "facilitators, an attendee's own for an attendee.")
    async def submissions(
            self, info: Info,
            first: First = None, after: After = None
    ) -> codelab_files.CodelabSubmissionConnection:
        return await codelab_files.submissions_page(info, self.id, first, after)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Codelab | None]:
        views = await codelabs.get_many(info.context, ids=ids_or_zero(node_ids))
        return [cls.from_view(v) if v else None for v in views]


@strawberry.type(description="A page of codelabs, in creation order.")
class CodelabConnection(Connection[Codelab]):
    pass


@strawberry.type(description="The viewer's workshop identity.")
class CodelabSession:
    sub: str = strawberry.field(description="The facilitator's account id, or the "
                                            "attendee's legacy id.")
    role: str = strawberry.field(description="`admin` (a facilitator) or `attendee`.")
    codelab_id: relay.GlobalID | None = strawberry.field(
        description="The attendee's codelab; null for facilitators.")
    expires_at: datetime | None = strawberry.field(description="When the session ends.")


def _codelab_id(value: relay.GlobalID | str) -> int:
    return global_int_id(value, "Codelab", field="id")


@strawberry.type
class CodelabQuery:
    @strawberry.field(description="Public codelabs, and those the viewer runs.")
    async def codelabs(self, info: Info, first: int | None = None,
                       after: str | None = None) -> CodelabConnection:
        page = await codelabs.get_all(info.context, page=PageArgs(first=first, after=after))
        return connection(CodelabConnection, page, Codelab.from_view)

    @strawberry.field(description="One codelab the viewer may read.")
    async def codelab(self, info: Info, id: relay.GlobalID) -> Codelab:
        view = await codelabs.get(info.context, codelab_id=_codelab_id(id))
        return Codelab.from_view(view)

    @strawberry.field(description="Who the viewer is in workshops (UNAUTHENTICATED when "
                                  "neither a facilitator nor an attendee).")
    async def codelab_session(self, info: Info) -> CodelabSession:
        found = await codelab_attendees.current_session(info.context)
        sub = (f"attendee_{found.attendee_user_id.hex}" if found.attendee_user_id
               else found.sub)
        codelab = (relay.GlobalID("Codelab", str(found.codelab_id))
                   if found.codelab_id else None)
        return CodelabSession(sub=sub, role=found.role, codelab_id=codelab,
                              expires_at=found.expires_at)


@strawberry.input(description="The configured facilitator account.")
class CodelabFacilitatorLoginInput:
    admin_id: str
    admin_password: str


@strawberry.input(description="Register to a codelab with its attendance code.")
class RegisterCodelabAttendeeInput:
    codelab_id: relay.GlobalID
    name: str = strawberry.field(description="1 to 100 characters.")
    code: str = strawberry.field(description="The codelab's attendance code.")
    email: str | None = strawberry.field(default=None, description="Unique in the codelab.")


@strawberry.input(description="A new codelab.")
class CreateCodelabInput:
    title: str = strawberry.field(description="1 to 300 characters.")
    description: str = ""
    author: str = ""
    is_public: bool = True
    quiz_enabled: bool = False
    require_quiz: bool = False
    require_feedback: bool = False
    guide_markdown: str | None = None
    attendance_code: str | None = strawberry.field(
        default=None, description="4 to 64 characters; generated when omitted.")


@strawberry.input(description="Changes to a codelab; omitted fields stay as they are.")
class UpdateCodelabInput:
    id: relay.GlobalID
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    author: str | None = strawberry.UNSET
    is_public: bool | None = strawberry.UNSET
    quiz_enabled: bool | None = strawberry.UNSET
    require_quiz: bool | None = strawberry.UNSET
    require_feedback: bool | None = strawberry.UNSET
    guide_markdown: str | None = strawberry.UNSET
    attendance_code: str | None = strawberry.UNSET


@strawberry.input(description="One step of a bulk step update.")
class CodelabStepInput:
    id: relay.GlobalID | None = strawberry.field(
        default=None, description="An existing step to keep; omitted for a new step.")
    title: str
    content_markdown: str = ""


@strawberry.input(description="The complete, ordered list of a codelab's steps.")
class ReplaceCodelabStepsInput:
    codelab_id: relay.GlobalID
    steps: list[CodelabStepInput] = strawberry.field(description="At most 200.")


@strawberry.type(description="A workshop sign-in: a Bearer token for its session.")
class CodelabSignInPayload:
    access_token: str
    expires_at: datetime


@strawberry.type(description="A registration: the attendee and their Bearer token.")
class RegisterCodelabAttendeePayload:
    attendee: CodelabAttendee
    access_token: str
    expires_at: datetime


@strawberry.type(description="A codelab after a change.")
class CodelabPayload:
    codelab: Codelab


@strawberry.type(description="The id of a deleted codelab.")
class DeleteCodelabPayload:
    deleted_id: relay.GlobalID


def _steps(items: list[CodelabStepInput]) -> list[StepInput]:
    return [StepInput(title=s.title, content_markdown=s.content_markdown,
                      step_id=None if s.id is None else global_int_id(s.id, "CodelabStep",
                                                                     field="steps"))
            for s in items]


def _unset(value):
    return OMITTED if value is strawberry.UNSET else value


@strawberry.type
class CodelabMutation:
    @strawberry.mutation(description="Sign in with the configured facilitator account.")
    async def codelab_facilitator_login(self, info: Info, input: CodelabFacilitatorLoginInput
                                        ) -> CodelabSignInPayload:
        cookie = await codelab_attendees.facilitator_login(
            info.context, admin_id=input.admin_id, admin_password=input.admin_password)
        return CodelabSignInPayload(access_token=cookie.token, expires_at=cookie.expires_at)

    @strawberry.mutation(description="Register to a codelab with its attendance code.")
    async def register_codelab_attendee(self, info: Info, input: RegisterCodelabAttendeeInput
                                        ) -> RegisterCodelabAttendeePayload:
        done = await codelab_attendees.register(
            info.context, codelab_id=_codelab_id(input.codelab_id), name=input.name,
            code=input.code, email=input.email)
        return RegisterCodelabAttendeePayload(
            attendee=CodelabAttendee.from_attendee(done.attendee, show_email=True),
            access_token=done.session.token, expires_at=done.session.expires_at)

    @strawberry.mutation(description="Create a codelab (instructors and platform admins).")
    async def create_codelab(self, info: Info, input: CreateCodelabInput) -> CodelabPayload:
        fields = {name: getattr(input, name) for name in (
            "title", "description", "author", "is_public", "quiz_enabled", "require_quiz",
            "require_feedback", "guide_markdown", "attendance_code")}
        view = await codelabs.create(info.context, fields=fields)
        return CodelabPayload(codelab=Codelab.from_view(view))

    @strawberry.mutation(description="Change a codelab (its facilitators).")
    async def update_codelab(self, info: Info, input: UpdateCodelabInput) -> CodelabPayload:
        changes = sent(**{name: _unset(getattr(input, name)) for name in (
            "title", "description", "author", "is_public", "quiz_enabled", "require_quiz",
            "require_feedback", "guide_markdown", "attendance_code")})
        view = await codelabs.update(info.context, codelab_id=_codelab_id(input.id),
                                     changes=changes)
        return CodelabPayload(codelab=Codelab.from_view(view))

    @strawberry.mutation(description="Delete a codelab with its steps and attendees.")
    async def delete_codelab(self, info: Info, id: relay.GlobalID) -> DeleteCodelabPayload:
        await codelabs.delete_codelab(info.context, codelab_id=_codelab_id(id))
        return DeleteCodelabPayload(deleted_id=id)

    @strawberry.mutation(description="Copy a codelab with its settings and steps.")
    async def copy_codelab(self, info: Info, id: relay.GlobalID) -> CodelabPayload:
        view = await codelabs.copy(info.context, codelab_id=_codelab_id(id))
        return CodelabPayload(codelab=Codelab.from_view(view))

    @strawberry.mutation(description="Make a codelab's steps exactly the list given.")
    async def replace_codelab_steps(self, info: Info, input: ReplaceCodelabStepsInput
                                    ) -> CodelabPayload:
        codelab_id = _codelab_id(input.codelab_id)
        await codelabs.replace_steps(info.context, codelab_id=codelab_id,
                                     steps=_steps(input.steps))
        view = await codelabs.get(info.context, codelab_id=codelab_id)
        return CodelabPayload(codelab=Codelab.from_view(view))
