"""GraphQL for courses, offerings and course statistics."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from loaders.catalog import (
    DepartmentByIdLoader,
    SubjectByIdLoader,
    UniversityByIdLoader,
)
from models.course import Course as CourseModel
from models.course import CourseOffering as OfferingModel
from resolvers import courses
from schema.catalog_common import DeletePayload, decode_id, page_args, set_fields
from schema.institutions import Department, Subject, University
from schema.pages import Connection, connection, ids_or_zero

if TYPE_CHECKING:
    from schema.course_tree import ModuleConnection


@strawberry.enum(description="How advanced a course is.")
class CourseLevel(Enum):
    INTRODUCTORY = strawberry.enum_value(
        "INTRODUCTORY", description="For newcomers to the subject.")
    INTERMEDIATE = strawberry.enum_value(
        "INTERMEDIATE", description="Builds on an introductory course.")
    ADVANCED = strawberry.enum_value(
        "ADVANCED", description="For learners with a solid grounding in the subject.")
    GRADUATE = strawberry.enum_value("GRADUATE", description="Graduate-level study.")
    PROFESSIONAL = strawberry.enum_value(
        "PROFESSIONAL", description="Professional or continuing education.")


@strawberry.enum(description="Who can find and join an offering.")
class OfferingVisibility(Enum):
    PUBLIC = strawberry.enum_value(
        "PUBLIC", description="Listed, and open to everyone who can see the course.")
    UNLISTED = strawberry.enum_value(
        "UNLISTED", description="Left out of lists, yet open to whoever has its id.")
    PRIVATE = strawberry.enum_value(
        "PRIVATE",
        description="Only for instructors and platform admins (and learners enrolled in it).")


@strawberry.type(description="Counts about a course.")
class CourseStats:
    offerings_count: int = strawberry.field(description="Number of offerings (terms).")
    total_enrollments: int = strawberry.field(description="Enrollments in any status.")
    active_enrollments: int = strawberry.field(description="Enrollments that are ACTIVE.")
    completed_enrollments: int = strawberry.field(description="Enrollments that are COMPLETED.")
    dropped_enrollments: int = strawberry.field(description="Enrollments that are DROPPED.")
    withdrawn_enrollments: int = strawberry.field(description="Enrollments that are WITHDRAWN.")
    pending_enrollments: int = strawberry.field(description="Enrollments that are PENDING.")
    modules_count: int = strawberry.field(description="Modules in the course's tree.")
    content_items_count: int = strawberry.field(description="Content items in the course.")
    average_rating: float | None = strawberry.field(
        description="Mean review rating (1–5, two decimals); null without reviews.")
    review_count: int = strawberry.field(description="Number of reviews.")
    completion_rate: float = strawberry.field(
        description="Percent of enrollments that are COMPLETED (two decimals).")

    @classmethod
    def from_stats(cls, stats: dict) -> CourseStats:
        by_status = stats["enrollments_by_status"]
        return cls(offerings_count=stats["offerings_count"],
                   total_enrollments=stats["total_enrollments"],
                   active_enrollments=by_status["ACTIVE"],
                   completed_enrollments=by_status["COMPLETED"],
                   dropped_enrollments=by_status["DROPPED"],
                   withdrawn_enrollments=by_status["WITHDRAWN"],
                   pending_enrollments=by_status["PENDING"],
                   modules_count=stats["modules_count"],
                   content_items_count=stats["content_items_count"],
                   average_rating=stats["average_rating"], review_count=stats["review_count"],
                   completion_rate=stats["completion_rate"])


@strawberry.type(description="A course: its description, offerings and module tree.")
class Course(relay.Node):
    id: relay.NodeID[int]
    title: str = strawberry.field(description="Title.")
    code: str = strawberry.field(description="Catalog code, e.g. CS101.")
    description: str = strawberry.field(description="Free text.")
    level: CourseLevel = strawberry.field(description="How advanced the course is.")
    credit_hours: int = strawberry.field(description="Credit hours (>= 0).")
    is_published: bool = strawberry.field(description="Whether students can see it.")
    cache_enabled: bool = strawberry.field(description="Whether the AI tutor caches replies.")
    llm_model: str | None = strawberry.field(description="Tutor model; null for the default.")
    created_at: datetime = strawberry.field(description="When it was created.")
    _model: strawberry.Private[CourseModel]

    @classmethod
    def from_model(cls, row: CourseModel) -> Course:
        return cls(id=row.id, title=row.title, code=row.code, description=row.description,
                   level=CourseLevel(row.level), credit_hours=row.credit_hours,
                   is_published=row.is_published, cache_enabled=row.cache_enabled,
                   llm_model=row.llm_model, created_at=row.created_at, _model=row)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Course | None]:
        rows = await courses.get_visible_many(info.context, course_ids=ids_or_zero(node_ids))
        return [cls.from_model(r) if r else None for r in rows]

    @strawberry.field(description="The university that runs the course.")
    async def university(self, info: Info) -> University | None:
        if self._model.university_id is None:
            return None
        row = await info.context.loaders.get(UniversityByIdLoader).load(
            self._model.university_id)
        return University.from_model(row) if row else None

    @strawberry.field(description="The department that runs the course.")
    async def department(self, info: Info) -> Department | None:
        if self._model.department_id is None:
            return None
        row = await info.context.loaders.get(DepartmentByIdLoader).load(
            self._model.department_id)
        return Department.from_model(row) if row else None

    @strawberry.field(description="The course's main subject.")
    async def primary_subject(self, info: Info) -> Subject | None:
        if self._model.primary_subject_id is None:
            return None
        row = await info.context.loaders.get(SubjectByIdLoader).load(
            self._model.primary_subject_id)
        return Subject.from_model(row) if row else None

    @strawberry.field(description="The course's offerings (terms) in id order; students see "
                                  "PUBLIC ones.")
    async def offerings(self, info: Info, first: int | None = None,
                        after: str | None = None) -> CourseOfferingConnection:
        page = await courses.offerings_of(info.context, course_id=self.id,
                                          page=page_args(first, after))
        return connection(CourseOfferingConnection, page, CourseOffering.from_model)

    @strawberry.field(description="Counts about the course (signed-in viewers; "
                                  "UNAUTHENTICATED otherwise).")
    async def stats(self, info: Info) -> CourseStats:
        return CourseStats.from_stats(await courses.stats_of(info.context, course_id=self.id))

    @strawberry.field(description="The top of the module tree: root modules in sequence "
                                  "order.")
    async def modules(self, info: Info, first: int | None = None, after: str | None = None
                      ) -> Annotated[ModuleConnection, strawberry.lazy("schema.course_tree")]:
        from schema.course_tree import root_modules

        return await root_modules(info, course_id=self.id, first=first, after=after)


@strawberry.type(description="One run (term) of a course.")
class CourseOffering(relay.Node):
    id: relay.NodeID[int]
    term_name: str = strawberry.field(description="Term, e.g. Spring 2026.")
    starts_at: datetime | None = strawberry.field(description="When teaching starts.")
    ends_at: datetime | None = strawberry.field(description="When teaching ends.")
    enrollment_start: datetime | None = strawberry.field(
        description="When enrollment opens; null means already open.")
    enrollment_end: datetime | None = strawberry.field(
        description="When enrollment closes; null means never.")
    visibility: OfferingVisibility = strawberry.field(description="Who can find and join it.")
    _model: strawberry.Private[OfferingModel]

    @classmethod
    def from_model(cls, row: OfferingModel) -> CourseOffering:
        return cls(id=row.id, term_name=row.term_name, starts_at=row.starts_at,
                   ends_at=row.ends_at, enrollment_start=row.enrollment_start,
                   enrollment_end=row.enrollment_end,
                   visibility=OfferingVisibility(row.visibility), _model=row)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[CourseOffering | None]:
        rows = await courses.get_offerings_many(info.context, ids=ids_or_zero(node_ids))
        return [cls.from_model(r) if r else None for r in rows]

    @strawberry.field(description="The course this is a run of (its enrolled learners see "
                                  "it even when unpublished).")
    async def course(self, info: Info) -> Course:
        return Course.from_model(await courses.get_course_of(info.context,
                                                             offering=self._model))


@strawberry.type(description="A page of courses.")
class CourseConnection(Connection[Course]):
    pass


@strawberry.type(description="A page of course offerings.")
class CourseOfferingConnection(Connection[CourseOffering]):
    pass


@strawberry.input(description="A new course.")
class CreateCourseInput:
    title: str
    code: str
    description: str = ""
    level: CourseLevel = CourseLevel.INTRODUCTORY
    credit_hours: int = 0
    university_id: relay.GlobalID | None = None
    department_id: relay.GlobalID | None = None
    primary_subject_id: relay.GlobalID | None = None
    is_published: bool = False
    cache_enabled: bool = True
    llm_model: str | None = None


@strawberry.input(description="Changes to a course; omitted fields keep their value;"
                              " null is refused for a required field.")
class UpdateCourseInput:
    id: relay.GlobalID
    title: str | None = strawberry.UNSET
    code: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    level: CourseLevel | None = strawberry.UNSET
    credit_hours: int | None = strawberry.UNSET
    university_id: relay.GlobalID | None = strawberry.UNSET
    department_id: relay.GlobalID | None = strawberry.UNSET
    primary_subject_id: relay.GlobalID | None = strawberry.UNSET
    is_published: bool | None = strawberry.UNSET
    cache_enabled: bool | None = strawberry.UNSET
    llm_model: str | None = strawberry.UNSET


@strawberry.input(description="A new offering (term) of a course.")
class CreateCourseOfferingInput:
    course_id: relay.GlobalID
    term_name: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    enrollment_start: datetime | None = None
    enrollment_end: datetime | None = None
    visibility: OfferingVisibility = OfferingVisibility.PUBLIC


@strawberry.type(description="A course after a change.")
class CoursePayload:
    course: Course


@strawberry.type(description="A new course offering.")
class CourseOfferingPayload:
    course_offering: CourseOffering


_REFS = {"university_id": "University", "department_id": "Department",
         "primary_subject_id": "Subject"}


def _course_fields(data, *, skip: tuple[str, ...] = ()) -> dict:
    fields = set_fields(data, skip=skip)
    for name, type_name in _REFS.items():
        if fields.get(name) is not None:
            fields[name] = decode_id(fields[name], type_name)
    return fields


@strawberry.type
class CourseQuery:
    @strawberry.field(description="Courses in id order, optionally of one university; "
                                  "students see published courses only.")
    async def courses(self, info: Info, university_id: relay.GlobalID | None = None,
                      first: int | None = None, after: str | None = None) -> CourseConnection:
        university = decode_id(university_id, "University") if university_id else None
        page = await courses.get_all(info.context, university_id=university,
                                     page=page_args(first, after))
        return connection(CourseConnection, page, Course.from_model)


@strawberry.type
class CourseMutation:
    @strawberry.mutation(description="Create a course (instructors).")
    async def create_course(self, info: Info, input: CreateCourseInput) -> CoursePayload:
        row = await courses.create(info.context, fields=_course_fields(input))
        return CoursePayload(course=Course.from_model(row))

    @strawberry.mutation(description="Change a course (its creator or a platform admin).")
    async def update_course(self, info: Info, input: UpdateCourseInput) -> CoursePayload:
        row = await courses.update(info.context, course_id=decode_id(input.id, "Course"),
                                   changes=_course_fields(input, skip=("id",)))
        return CoursePayload(course=Course.from_model(row))

    @strawberry.mutation(description="Delete a course with its offerings, enrollments and "
                                     "modules (its creator or a platform admin).")
    async def delete_course(self, info: Info, id: relay.GlobalID) -> DeletePayload:
        await courses.delete(info.context, course_id=decode_id(id, "Course"))
        return DeletePayload(deleted_id=strawberry.ID(str(id)))

    @strawberry.mutation(description="Add an offering (term) to a course.")
    async def create_course_offering(self, info: Info, input: CreateCourseOfferingInput
                                     ) -> CourseOfferingPayload:
        row = await courses.create_offering(
            info.context, course_id=decode_id(input.course_id, "Course"),
            fields=set_fields(input, skip=("course_id",)))
        return CourseOfferingPayload(course_offering=CourseOffering.from_model(row))
