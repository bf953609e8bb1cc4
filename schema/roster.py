"""GraphQL for the teacher portal's classes and students: the same resolvers as the
Pickatale teacher portal, with the same rules (teachers and school admins, each their
own classes; PINs shown once, in the answer that created them)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from core.pagination import decode_id_cursor, encode_cursor, page_size
from resolvers import roster, roster_import
from resolvers.pages import page_of_fetched
from resolvers.reading import parse
from resolvers.roster import NewStudent, StudentView
from schema.idempotency import ARGUMENT_DESCRIPTION, idempotent
from schema.input_bounds import long_text
from schema.pages import Connection, connection, ids_or_zero, parse_int_id

MAX_PAGE = 200
ClassArg = Annotated[strawberry.ID, strawberry.argument(
    description="The class: its global id or its number.")]
IdempotencyKeyArg = Annotated[str | None, strawberry.argument(description=ARGUMENT_DESCRIPTION)]


@strawberry.type(description="A student of a class, with what the reading platform knows "
                             "of them.")
class ClassStudent(relay.Node):
    id: relay.NodeID[int]
    number: int = strawberry.field(description="The student's number (the teacher portal's "
                                               "`id`).")
    name: str = strawberry.field(description="The child's name.")
    username: str = strawberry.field(description="What the child signs in with.")
    year_level: int = strawberry.field(description="School year, 0 (reception) to 13.")
    learner_service_id: uuid.UUID = strawberry.field(
        description="The child's learner id on the reading platform.")
    reading_level: float | None = strawberry.field(
        description="Reading level (Flesch-Kincaid grade); null until the learner bot has "
                    "placed the child.")
    books_read: int = strawberry.field(description="Books finished.")
    total_miles: float = strawberry.field(description="Reading miles.")
    comprehension_trend: list[float] = strawberry.field(
        description="The last three quiz scores in percent, oldest first.")
    attention_flag: bool = strawberry.field(
        description="The last quiz was below 65 %, or no reading session finished for 7 "
                    "days.")
    latest_report: str | None = strawberry.field(description="The learner bot's last report.")
    last_read_at: datetime | None = strawberry.field(
        description="When the last reading session ended.")

    @classmethod
    def from_view(cls, view: StudentView) -> ClassStudent:
        s = view.student
        return cls(id=s.id, number=s.id, name=s.name,
                   username=view.username, year_level=s.year_level,
                   learner_service_id=s.user_id,
                   reading_level=view.reading_level, books_read=view.books_read,
                   total_miles=view.total_miles,
                   comprehension_trend=view.comprehension_trend,
                   attention_flag=view.attention_flag, latest_report=view.latest_report,
                   last_read_at=view.last_read_at)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[ClassStudent | None]:
        views = await roster.get_students_many(info.context, student_ids=ids_or_zero(node_ids))
        return [cls.from_view(v) if v else None for v in views]


@strawberry.type(description="A page of a class's students, in the order they were added.")
class ClassStudentConnection(Connection[ClassStudent]):
    pass


@strawberry.type(description="A teacher's class.")
class TeacherClass(relay.Node):
    id: relay.NodeID[int]
    number: int = strawberry.field(description="The class's number (the teacher portal's "
                                               "`id`).")
    name: str = strawberry.field(description="The class's name.")
    year_level: int | None = strawberry.field(description="School year, 0 to 13, if given.")
    created_at: datetime = strawberry.field(description="When it was created.")

    @classmethod
    def from_row(cls, row) -> TeacherClass:
        return cls(id=row.id, number=row.id,
                   name=row.name, year_level=row.year_level, created_at=row.created_at)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[TeacherClass | None]:
        rows = await roster.get_readable_many(info.context, class_ids=ids_or_zero(node_ids))
        return [cls.from_row(r) if r else None for r in rows]

    @strawberry.field(description="How many students the class has.")
    async def student_count(self, info: Info) -> int:
        return await roster.count_students(info.context, class_id=self.number)

    @strawberry.field(description="The class's students with their reading data.")
    async def students(
            self, info: Info,
            first: Annotated[int, strawberry.argument(description="Page size, 1 to 200.")] = 50,
            after: Annotated[str | None, strawberry.argument(
                description="The cursor to page after.")] = None) -> ClassStudentConnection:
        size = page_size(first, None, maximum=MAX_PAGE)
        views, more = await roster.list_students(
            info.context, class_id=self.number,
            after=decode_id_cursor(after) if after else None, limit=size)
        page = page_of_fetched([*views, *([None] if more else [])], size, after=after,
                               cursor=lambda v: encode_cursor([v.student.id]),
                               total=roster.students_of(self.number))
        return connection(ClassStudentConnection, page, ClassStudent.from_view)


@strawberry.type(description="A student just created, with the PIN shown this once.")
class CreatedStudent:
    id: relay.GlobalID = strawberry.field(description="The student's global id.")
    number: int = strawberry.field(description="The student's number.")
    name: str = strawberry.field(description="The child's name.")
    username: str = strawberry.field(description="What the child signs in with.")
    pin: str = strawberry.field(description="The four-digit PIN: shown only here, stored "
                                            "only as a hash.")
    year_level: int = strawberry.field(description="School year, 0 to 13.")
    learner_service_id: uuid.UUID = strawberry.field(
        description="The child's learner id on the reading platform.")

    @classmethod
    def from_new(cls, new: NewStudent) -> CreatedStudent:
        s = new.student
        return cls(id=relay.GlobalID("ClassStudent", str(s.id)), number=s.id, name=s.name,
                   username=new.username, pin=new.pin, year_level=s.year_level,
                   learner_service_id=s.user_id)


@strawberry.type(description="A roster row that matched a student already in the class.")
class ExistingRosterRow:
    line: int = strawberry.field(description="Its line in the file (the header is line 1).")
    number: int = strawberry.field(description="The student's number.")
    name: str = strawberry.field(description="The child's name.")
    username: str = strawberry.field(description="The child's username.")


@strawberry.input(description="A new class.")
class CreateClassInput:
    name: str = strawberry.field(description="1 to 120 characters.")
    year_level: int | None = strawberry.field(default=None,
                                              description="School year, 0 to 13.")


@strawberry.input(description="A new student.")
class AddStudentInput:
    class_id: strawberry.ID = strawberry.field(description="The class.")
    name: str = strawberry.field(description="The child's name, 1 to 100 characters.")
    year_level: int = strawberry.field(description="School year, 0 to 13.")


@strawberry.input(description="A CSV roster to import into a class.")
class ImportRosterInput:
    class_id: strawberry.ID = strawberry.field(description="The class.")
    csv: str = long_text(description="The file's text: a header naming `name` and "
                                     "`year_level`, then one student a line (at most 300, "
                                     "256 KiB).")


@strawberry.type(description="A class created.")
class CreateClassPayload:
    teacher_class: TeacherClass = strawberry.field(description="The class.")


@strawberry.type(description="A student added.")
class AddStudentPayload:
    student: CreatedStudent = strawberry.field(description="The student and their PIN.")


@strawberry.type(description="A roster imported: nothing is created when a row is bad.")
class ImportRosterPayload:
    imported: int = strawberry.field(description="How many students were created.")
    students: list[CreatedStudent] = strawberry.field(
        description="The students created, with their PINs (shown only here).")
    existing: list[ExistingRosterRow] = strawberry.field(
        description="Rows that matched students already in the class (not created again).")


def _class_id(value: str) -> int:
    return parse_int_id(str(value), "TeacherClass", field="classId")


@strawberry.type
class RosterQuery:
    @strawberry.field(description="The signed-in teacher's classes, oldest first.")
    async def teacher_classes(self, info: Info) -> list[TeacherClass]:
        return [TeacherClass.from_row(r) for r in await roster.get_classes(info.context)]

    @strawberry.field(description="One of the signed-in teacher's classes.")
    async def teacher_class(self, info: Info, id: ClassArg) -> TeacherClass:
        return TeacherClass.from_row(await roster.get_class(info.context,
                                                            class_id=_class_id(id)))


@strawberry.type
class RosterMutation:
    @strawberry.mutation(description="Create a class (teachers and school admins). With an "
                                     "idempotency key a retry gets the same class.")
    async def create_class(self, info: Info, input: Annotated[
            CreateClassInput, strawberry.argument(description="Its name and year.")],
            idempotency_key: IdempotencyKeyArg = None) -> CreateClassPayload:
        async def run() -> CreateClassPayload:
            data = parse(roster.ClassIn, {"name": input.name, "year_level": input.year_level})
            row = await roster.create_class(info.context, data=data)
            return CreateClassPayload(teacher_class=TeacherClass.from_row(row))

        return await idempotent(info, key=idempotency_key, arguments=input, run=run,
                                payload=CreateClassPayload)

    @strawberry.mutation(description="Add a student to a class; the PIN is shown this once "
                                     "(and again to a retry with the same idempotency key).")
    async def add_student(self, info: Info, input: Annotated[
            AddStudentInput, strawberry.argument(description="The class and the child.")],
            idempotency_key: IdempotencyKeyArg = None) -> AddStudentPayload:
        async def run() -> AddStudentPayload:
            data = parse(roster.StudentIn, {"name": input.name, "year_level": input.year_level})
            new = await roster.create_student(info.context, class_id=_class_id(input.class_id),
                                              data=data)
            return AddStudentPayload(student=CreatedStudent.from_new(new))

        return await idempotent(info, key=idempotency_key, arguments=input, run=run,
                                payload=AddStudentPayload)

    @strawberry.mutation(description="Import students from a CSV roster; rows matching "
                                     "students already in the class are not created again. "
                                     "With an idempotency key a retry gets the first answer, "
                                     "its PINs included.")
    async def import_roster(self, info: Info, input: Annotated[
            ImportRosterInput, strawberry.argument(description="The class and the file.")],
            idempotency_key: IdempotencyKeyArg = None) -> ImportRosterPayload:
        async def run() -> ImportRosterPayload:
            result = await roster_import.import_roster(
                info.context, class_id=_class_id(input.class_id), content=input.csv.encode())
            return ImportRosterPayload(
                imported=len(result.created),
                students=[CreatedStudent.from_new(n) for n in result.created],
                existing=[ExistingRosterRow(line=e.line, number=e.student.id,
                                            name=e.student.name, username=e.username)
                          for e in result.existing])

        return await idempotent(info, key=idempotency_key, arguments=input, run=run,
                                payload=ImportRosterPayload)
