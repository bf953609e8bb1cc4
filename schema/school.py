"""GraphQL for schools: the same resolvers and rules as the teacher portal
(``resolvers/school.py``): a school admin reads their school's teachers and classes;
teachers join with the school's join code."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from resolvers import school
from schema.roster import TeacherClass
from schema.user import parse_uuid_id, user_global_id


@strawberry.enum(description="A place on a school's staff.")
class SchoolStaffRole(Enum):
    ADMIN = strawberry.enum_value("admin", description="The school's administrator.")
    TEACHER = strawberry.enum_value("teacher", description="A teacher of the school.")


@strawberry.type(description="Someone on a school's staff.")
class SchoolStaffMember:
    user_id: relay.GlobalID = strawberry.field(
        description="Their account's global ID (a `User` for `node`).")
    name: str = strawberry.field(description="Their name.")
    email: str | None = strawberry.field(description="Their email.")
    role: SchoolStaffRole = strawberry.field(description="Admin or teacher.")
    joined_at: datetime = strawberry.field(description="When they joined the staff.")


@strawberry.type(description="A school: its admins, its teachers and their classes.")
class School:
    id: relay.GlobalID = strawberry.field(description="The school's global id.")
    number: int = strawberry.field(description="The school's number (the session's "
                                               "`school_id`).")
    name: str = strawberry.field(description="Its name.")
    viewer_role: SchoolStaffRole = strawberry.field(
        description="The signed-in account's place on its staff.")

    @strawberry.field(description="Its staff, admins first, then by when they joined "
                                  "(its admins only).")
    async def staff(self, info: Info) -> list[SchoolStaffMember]:
        return [SchoolStaffMember(user_id=user_global_id(m.user_id), name=m.name, email=m.email,
                                  role=SchoolStaffRole(m.role), joined_at=m.joined_at)
                for m in await school.get_staff(info.context)]

    @strawberry.field(description="Its teachers' classes, oldest first (its admins "
                                  "only); their students are readable through "
                                  "`teacherClass`.")
    async def classes(self, info: Info) -> list[TeacherClass]:
        return [TeacherClass.from_row(r) for r in await school.get_classes(info.context)]


def _school(row, role: str) -> School:
    return School(id=relay.GlobalID("School", str(row.id)), number=row.id, name=row.name,
                  viewer_role=SchoolStaffRole(role))


@strawberry.type(description="A new join code: give it to the school's teachers.")
class SchoolJoinCodePayload:
    code: str = strawberry.field(description="The code, shown only here; it replaces the "
                                             "last one.")


@strawberry.type(description="A school joined.")
class JoinSchoolPayload:
    school: School = strawberry.field(description="The school.")


@strawberry.type(description="A teacher taken off a school's staff.")
class RemoveSchoolTeacherPayload:
    ok: bool = strawberry.field(description="Always true.")


@strawberry.type
class SchoolQuery:
    @strawberry.field(description="The school the signed-in teacher or school admin is on "
                                  "the staff of.")
    async def school(self, info: Info) -> School:
        row, role = await school.get_mine(info.context)
        return _school(row, role)


@strawberry.type
class SchoolMutation:
    @strawberry.mutation(description="Make a new join code for the school (its admins).")
    async def create_school_join_code(self, info: Info) -> SchoolJoinCodePayload:
        return SchoolJoinCodePayload(code=await school.new_join_code(info.context))

    @strawberry.mutation(description="Join a school with its join code (teachers); one's "
                                     "classes become the school's.")
    async def join_school(self, info: Info, code: Annotated[str, strawberry.argument(
            description="The code the school's admin gave.")]) -> JoinSchoolPayload:
        row = await school.join(info.context, code=code)
        return JoinSchoolPayload(school=_school(row, school.TEACHER))

    @strawberry.mutation(description="Take a teacher off the school's staff, with their "
                                     "classes (its admins).")
    async def remove_school_teacher(self, info: Info, user_id: Annotated[
            strawberry.ID, strawberry.argument(
                description="The teacher's global ID (`SchoolStaffMember.userId`); their "
                            "account's UUID is accepted too.")],
    ) -> RemoveSchoolTeacherPayload:
        await school.remove_teacher(info.context, user_id=parse_uuid_id(
            user_id, "User", field="userId"))
        return RemoveSchoolTeacherPayload(ok=True)
