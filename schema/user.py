"""GraphQL types for users and the viewer.

A malformed User id is null through ``node`` and BAD_USER_INPUT ``Invalid User id`` as an
argument (``global_uuid_id``), like the integer ids of ``schema/pages.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.file_uploads import Upload
from strawberry.types import Info

from core.errors import Validation
from models.course import GRADES, LEARNING_GOALS, STUDY_LEVELS
from models.user import User as UserModel
from resolvers import activity as activity_resolvers
from resolvers import auth as auth_resolvers
from resolvers import llm_usage
from resolvers import profile as profile_resolvers
from resolvers import user as user_resolvers
from schema.learning import (
    LearningActivity,
    ModuleProgressConnection,
    global_id,
    module_progress_connection,
)
from schema.llm_usage import LlmUsageGroup, LlmUsageRow
from schema.pages import Connection, connection

_GOALS = {"CAREER_ADVANCEMENT": "To advance in their current career.",
          "CAREER_CHANGE": "To move to another career.",
          "ACADEMIC": "For their degree or other academic work.",
          "PERSONAL_INTEREST": "Out of personal interest.",
          "SKILL_BUILDING": "To build a particular skill.",
          "EXAM_PREPARATION": "To prepare for an exam."}
_LEVELS = {"HIGH_SCHOOL": "At high school.", "UNDERGRADUATE": "An undergraduate student.",
           "GRADUATE": "A graduate (master's) student.",
           "POSTGRADUATE": "A postgraduate (doctoral) student.",
           "PROFESSIONAL": "A working professional.", "SELF_LEARNER": "Learning on their own."}
_GRADES = {"FRESHMAN": "First year.", "SOPHOMORE": "Second year.", "JUNIOR": "Third year.",
           "SENIOR": "Fourth year.", "GRADUATE": "Graduate study.", "OTHER": "None of these."}


def _described(name: str, values: tuple[str, ...], texts: dict[str, str]) -> type[Enum]:
    return Enum(name, {v: strawberry.enum_value(v, description=texts[v]) for v in values})


LearningGoal = strawberry.enum(_described("LearningGoal", LEARNING_GOALS, _GOALS),
                               description="Why a learner studies.")
StudyLevel = strawberry.enum(_described("StudyLevel", STUDY_LEVELS, _LEVELS),
                             description="Where a learner is in their education.")
Grade = strawberry.enum(_described("Grade", GRADES, _GRADES),
                        description="A learner's year of study.")


@strawberry.type(description="Onboarding answers of a learner.")
class UserProfile:
    date_of_birth: date | None
    learning_goal: LearningGoal | None
    study_level: StudyLevel | None
    grade: Grade | None

if TYPE_CHECKING:
    from schema.enrollments import EnrollmentConnection


@strawberry.enum(description="What kind of principal the viewer is.")
class ViewerKind(Enum):
    ANONYMOUS = strawberry.enum_value("anonymous", description="No credentials.")
    USER = strawberry.enum_value(
        "user", description="A signed-in user (a session cookie or a bearer token).")
    API_KEY = strawberry.enum_value(
        "api_key", description="An OpenLesson API key (`sk_` or `gsk_`).")


def parse_uuid(value: str) -> uuid.UUID | None:
    """The UUID ``value`` spells, else None."""
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError):
        return None


def global_uuid_id(value: str, type_name: str, *, field: str) -> uuid.UUID:
    """The UUID inside a global ID of ``type_name``; Validation ``Invalid <Type> id`` when it
    is not one, as ``schema.pages.global_int_id`` does for integer ids."""
    text = str(value)
    try:
        kind, raw = relay.from_base64(text)
    except Exception:
        kind, raw = None, None
    parsed = parse_uuid(raw) if kind == type_name else None
    if parsed is None:
        raise Validation(f"Invalid {type_name} id: {text!r}", details={"field": field})
    return parsed


def parse_uuid_id(value: str, type_name: str, *, field: str) -> uuid.UUID:
    """A UUID from a global ID of ``type_name`` or from the bare UUID the REST faces show
    (as ``schema.pages.parse_int_id`` reads integer ids)."""
    return parse_uuid(str(value)) or global_uuid_id(value, type_name, field=field)


def user_global_id(user_id: uuid.UUID) -> relay.GlobalID:
    """The global ID of the user ``user_id`` (what ``User.id`` answers, for ``node``)."""
    return relay.GlobalID("User", str(user_id))


@strawberry.type(description="A person with an account, whichever platform they came from.")
class User(relay.Node):
    id: relay.NodeID[str]
    display_name: str = strawberry.field(description="Name shown to other people.")
    avatar_url: str = strawberry.field(description="Avatar image URL; empty when none.")
    roles: list[str] = strawberry.field(description="Platform roles, e.g. PLATFORM_ADMIN.")
    created_at: datetime = strawberry.field(description="When the account was created.")
    _model: strawberry.Private[UserModel]

    @classmethod
    def from_model(cls, model: UserModel) -> User:
        return cls(id=str(model.id), display_name=model.display_name,
                   avatar_url=model.avatar_url, roles=list(model.roles),
                   created_at=model.created_at, _model=model)

    @strawberry.field(description="Email address; visible to the user themself and to admins.")
    def email(self, info: Info) -> str | None:
        if user_resolvers.can_see_private(info.context, self._model.id):
            return self._model.email
        return None

    @strawberry.field(description="Whether the account has signed in with GitHub.")
    def has_github(self) -> bool:
        return self._model.github_id is not None

    @strawberry.field(description="Full name (the display name).")
    def full_name(self) -> str:
        return self._model.display_name

    @strawberry.field(description="Integer id the course platform API shows for this user.")
    def number(self) -> int:
        return self._model.number

    def _private(self, info: Info) -> bool:
        return user_resolvers.can_see_private(info.context, self._model.id)

    @strawberry.field(description="Language tag; visible to the user themself and to admins.")
    def locale(self, info: Info) -> str | None:
        return self._model.locale if self._private(info) else None

    @strawberry.field(description="IANA time zone streaks are counted in; self and admins only.")
    def time_zone(self, info: Info) -> str | None:
        return self._model.time_zone if self._private(info) else None

    @strawberry.field(description="Whether the account may sign in; self and admins only.")
    def is_active(self, info: Info) -> bool | None:
        return self._model.is_active if self._private(info) else None

    @strawberry.field(description="Days in a row with learning activity, as of today in the "
                                  "user's time zone; self and admins only.")
    def current_streak_days(self, info: Info) -> int | None:
        if not self._private(info):
            return None
        return activity_resolvers.current_streak(self._model)

    @strawberry.field(description="The last local day with activity; self and admins only.")
    def last_activity_date(self, info: Info) -> date | None:
        return self._model.last_activity_date if self._private(info) else None

    @strawberry.field(description="Onboarding answers; self and admins only.")
    async def profile(self, info: Info) -> UserProfile | None:
        row = await profile_resolvers.get_profile(info.context, user_id=self._model.id)
        if row is None:
            return None
        return UserProfile(
            date_of_birth=row.date_of_birth,
            learning_goal=LearningGoal(row.learning_goal) if row.learning_goal else None,
            study_level=StudyLevel(row.study_level) if row.study_level else None,
            grade=Grade(row.grade) if row.grade else None)

    @strawberry.field(description="Global IDs of the subjects the user prefers; self and "
                                  "admins only.")
    async def subject_preferences(self, info: Info) -> list[strawberry.ID] | None:
        ids = await profile_resolvers.get_subject_ids(info.context, user_id=self._model.id)
        return None if ids is None else [global_id("Subject", i) for i in ids]

    @strawberry.field(description="The user's module progress, oldest first; self and admins "
                                  "only (null for others).")
    async def progress(self, info: Info, course_offering_id: strawberry.ID | None = None,
                       first: int | None = None, after: str | None = None,
                       last: int | None = None,
                       before: str | None = None) -> ModuleProgressConnection | None:
        if not self._private(info):
            return None
        return await module_progress_connection(
            info, user_id=self._model.id, course_offering_id=course_offering_id, first=first,
            after=after, last=last, before=before)

    @strawberry.field(description="The user's enrollments; self and admins only (null for "
                                  "others).")
    async def enrollments(
            self, info: Info, first: int | None = None, after: str | None = None,
    ) -> Annotated[EnrollmentConnection, strawberry.lazy("schema.enrollments")] | None:
        if not self._private(info):
            return None
        from schema.enrollments import enrollments_connection

        return await enrollments_connection(info, self._model.id, first, after)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[User | None]:
        users = await user_resolvers.get_many(
            info.context, user_ids=[parse_uuid(node_id) for node_id in node_ids])
        return [cls.from_model(u) if u else None for u in users]


@strawberry.type(description="Who is asking: the signed-in user, an API key, or nobody.")
class Viewer:
    kind: ViewerKind = strawberry.field(description="Anonymous, a user, or an API key.")
    scopes: list[str] = strawberry.field(description="Scopes of the API key, if one is used.")
    _user: strawberry.Private[UserModel | None]

    @strawberry.field(description="Global ID of the viewer's user; null when anonymous.")
    def id(self) -> strawberry.ID | None:
        if self._user is None:
            return None
        return strawberry.ID(relay.to_base64(User, str(self._user.id)))

    @strawberry.field(description="True when any credential was accepted.")
    def is_authenticated(self) -> bool:
        return self.kind != ViewerKind.ANONYMOUS

    @strawberry.field(description="The viewer's user account.")
    def user(self) -> User | None:
        return User.from_model(self._user) if self._user else None

    @strawberry.field(description="Roles of the viewer's user.")
    def roles(self) -> list[str]:
        return list(self._user.roles) if self._user else []

    @strawberry.field(description="Whether the viewer has stored an Anthropic API key.")
    async def has_anthropic_key(self, info: Info) -> bool:
        if self._user is None:
            return False
        return await auth_resolvers.has_anthropic_key(info.context, user_id=self._user.id)

    @strawberry.field(description="The viewer's own model calls, tokens and cost per group "
                                  "over a window of UTC days.")
    async def llm_usage(
        self, info: Info,
        group_by: Annotated[list[LlmUsageGroup] | None, strawberry.argument(
            description="Group by these (none: one row for everything).")] = None,
        date_from: Annotated[date | None, strawberry.argument(
            name="from", description="First UTC day, inclusive.")] = None,
        date_to: Annotated[date | None, strawberry.argument(
            name="to", description="Last UTC day, inclusive.")] = None,
    ) -> list[LlmUsageRow]:
        rows = await llm_usage.get_mine(info.context, group_by=[g.value for g in group_by or []],
                                        date_from=date_from, date_to=date_to)
        return [LlmUsageRow.from_row(r) for r in rows]


def viewer_from_context(info: Info) -> Viewer:
    viewer = info.context.viewer
    return Viewer(kind=ViewerKind(viewer.kind), scopes=sorted(viewer.scopes), _user=viewer.user)


@strawberry.type(description="A page of users.")
class UserConnection(Connection[User]):
    pass


@strawberry.type(description="A course, as listed on a learner's dashboard.")
class CourseSummary:
    id: strawberry.ID = strawberry.field(description="Global ID of the Course.")
    title: str
    code: str
    level: str
    primary_subject_id: strawberry.ID | None = strawberry.field(
        description="Global ID of the course's main Subject.")


@strawberry.type(description="An ACTIVE enrollment with its offering and course.")
class EnrollmentSummary:
    id: strawberry.ID = strawberry.field(description="Global ID of the Enrollment.")
    status: str
    enrolled_at: datetime
    course_offering_id: strawberry.ID = strawberry.field(
        description="Global ID of the CourseOffering.")
    term_name: str
    course: CourseSummary


@strawberry.type(description="The viewer's dashboard.")
class ViewerOverview:
    active_enrollments: list[EnrollmentSummary]
    recommended_courses: list[CourseSummary] = strawberry.field(
        description="Up to 5 published courses in preferred subjects, not yet enrolled in.")
    recent_activity: list[LearningActivity] = strawberry.field(
        description="The latest 10 activities.")
    completed_courses: int
    current_streak: int


def _course_summary(row) -> CourseSummary:
    return CourseSummary(id=global_id("Course", row.id), title=row.title, code=row.code,
                         level=row.level,
                         primary_subject_id=global_id("Subject", row.primary_subject_id))


@strawberry.type
class UserQuery:
    @strawberry.field(description="Who is asking.")
    def viewer(self, info: Info) -> Viewer:
        return viewer_from_context(info)

    @strawberry.field(description="Every account by platform number, for any signed-in user; "
                                  "private fields follow the usual rule.")
    async def user_directory(self, info: Info, first: int | None = None,
                             after: str | None = None, last: int | None = None,
                             before: str | None = None) -> UserConnection:
        page = await user_resolvers.get_directory_page(info.context, first=first, after=after,
                                                       last=last, before=before)
        return connection(UserConnection, page, User.from_model)

    @strawberry.field(description="A user by the integer id the course platform API shows "
                                  "(any signed-in user; private fields as usual).")
    async def user_by_number(self, info: Info, number: int) -> User:
        return User.from_model(
            await user_resolvers.get_by_number_or_raise(info.context, number=number))

    @strawberry.field(description="Whether nobody has registered this email yet.")
    async def check_email(self, info: Info, email: str) -> bool:
        return await auth_resolvers.is_email_available(info.context, email=email)

    @strawberry.field(description="The viewer's dashboard: enrollments, recommendations, "
                                  "recent activity and stats.")
    async def viewer_overview(self, info: Info) -> ViewerOverview:
        data = await user_resolvers.get_overview(info.context)
        return ViewerOverview(
            active_enrollments=[EnrollmentSummary(
                id=global_id("Enrollment", a.enrollment.id), status=a.enrollment.status,
                enrolled_at=a.enrollment.enrolled_at,
                course_offering_id=global_id("CourseOffering", a.offering.id),
                term_name=a.offering.term_name, course=_course_summary(a.course))
                for a in data.active_enrollments],
            recommended_courses=[_course_summary(c) for c in data.recommended_courses],
            recent_activity=[LearningActivity.from_model(a) for a in data.recent_activity],
            completed_courses=data.completed_courses, current_streak=data.current_streak)

    @strawberry.field(description="All accounts in sign-up order (platform admins only).")
    async def users(self, info: Info, first: int | None = None, after: str | None = None,
                    last: int | None = None, before: str | None = None) -> UserConnection:
        page = await user_resolvers.get_all(info.context, first=first, after=after, last=last,
                                            before=before)
        return connection(UserConnection, page, User.from_model)


@strawberry.type(description="The viewer's user after a profile change.")
class UserPayload:
    user: User


@strawberry.input(description="Profile fields to change; those left out stay as they are.")
class UpdateMeInput:
    full_name: str | None = None
    locale: str | None = strawberry.field(default=None, description="Language tag, e.g. `es`.")
    time_zone: str | None = strawberry.field(default=None,
                                             description="IANA zone, e.g. `America/New_York`.")


@strawberry.input(description="The complete new set of roles of a user.")
class SetUserRolesInput:
    user_id: strawberry.ID = strawberry.field(description="Global ID of the User.")
    roles: list[str] = strawberry.field(description="Each one of STUDENT, INSTRUCTOR, "
                                                    "PLATFORM_ADMIN.")


def _user_uuid(value: str) -> uuid.UUID:
    return global_uuid_id(value, "User", field="userId")


@strawberry.type
class UserMutation:
    @strawberry.mutation(description="Change your full name, locale or time zone.")
    async def update_me(self, info: Info, input: UpdateMeInput) -> UserPayload:
        user = await profile_resolvers.update_me(info.context, full_name=input.full_name,
                                                 locale=input.locale, time_zone=input.time_zone)
        return UserPayload(user=User.from_model(user))

    @strawberry.mutation(description="Replace a user's roles (platform admins only).")
    async def set_user_roles(self, info: Info, input: SetUserRolesInput) -> UserPayload:
        user = await user_resolvers.set_roles(info.context, user_id=_user_uuid(input.user_id),
                                              roles=input.roles)
        return UserPayload(user=User.from_model(user))

    @strawberry.mutation(description="Upload a new avatar (PNG, JPEG, GIF or WebP, at most "
                                     "2 MiB) as a multipart request.")
    async def upload_avatar(self, info: Info, file: Upload) -> UserPayload:
        data = await file.read()
        user = await user_resolvers.set_avatar(info.context, data=data)
        return UserPayload(user=User.from_model(user))
