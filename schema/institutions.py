"""GraphQL for universities, departments and subjects."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from loaders.catalog import DepartmentByIdLoader, SubjectByIdLoader, UniversityByIdLoader
from models.course import Department as DepartmentModel
from models.course import Subject as SubjectModel
from models.course import University as UniversityModel
from resolvers import catalog
from schema.catalog_common import DeletePayload, decode_id, page_args, set_fields
from schema.pages import Connection, connection, load_rows


@strawberry.type(description="A university that runs courses.")
class University(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="Full name, unique.")
    short_name: str | None = strawberry.field(description="Abbreviation, e.g. MIT.")
    country: str | None = strawberry.field(description="Country name.")
    website_url: str | None = strawberry.field(description="Home page.")
    description: str = strawberry.field(description="Free text.")
    created_at: datetime = strawberry.field(description="When it was added.")

    @classmethod
    def from_model(cls, row: UniversityModel) -> University:
        return cls(id=row.id, name=row.name, short_name=row.short_name, country=row.country,
                   website_url=row.website_url, description=row.description,
                   created_at=row.created_at)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[University | None]:
        rows = await load_rows(info, UniversityByIdLoader, node_ids)
        return [cls.from_model(r) if r else None for r in rows]

    @strawberry.field(description="The university's departments, in id order.")
    async def departments(self, info: Info, first: int | None = None,
                          after: str | None = None) -> DepartmentConnection:
        page = await catalog.get_all_departments(info.context, university_id=self.id,
                                                 page=page_args(first, after))
        return connection(DepartmentConnection, page, Department.from_model)


@strawberry.type(description="A department of a university.")
class Department(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="Name, unique within the university.")
    code: str | None = strawberry.field(description="Short code, e.g. CS.")
    description: str = strawberry.field(description="Free text.")
    university_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: DepartmentModel) -> Department:
        return cls(id=row.id, name=row.name, code=row.code, description=row.description,
                   university_id=row.university_id)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Department | None]:
        rows = await load_rows(info, DepartmentByIdLoader, node_ids)
        return [cls.from_model(r) if r else None for r in rows]

    @strawberry.field(description="The university the department belongs to.")
    async def university(self, info: Info) -> University:
        return University.from_model(
            await catalog.get_university(info.context, university_id=self.university_id))


@strawberry.type(description="A subject area courses and learners are tagged with.")
class Subject(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="Name, unique.")
    description: str = strawberry.field(description="Free text.")

    @classmethod
    def from_model(cls, row: SubjectModel) -> Subject:
        return cls(id=row.id, name=row.name, description=row.description)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Subject | None]:
        rows = await load_rows(info, SubjectByIdLoader, node_ids)
        return [cls.from_model(r) if r else None for r in rows]


@strawberry.type(description="A page of universities.")
class UniversityConnection(Connection[University]):
    pass


@strawberry.type(description="A page of departments.")
class DepartmentConnection(Connection[Department]):
    pass


@strawberry.type(description="A page of subjects.")
class SubjectConnection(Connection[Subject]):
    pass


@strawberry.input(description="A new university.")
class CreateUniversityInput:
    name: str
    short_name: str | None = None
    country: str | None = None
    website_url: str | None = None
    description: str = ""


@strawberry.input(description="Changes to a university; omitted fields keep their value;"
                              " null is refused for a required field.")
class UpdateUniversityInput:
    id: relay.GlobalID
    name: str | None = strawberry.UNSET
    short_name: str | None = strawberry.UNSET
    country: str | None = strawberry.UNSET
    website_url: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET


@strawberry.input(description="A new department of a university.")
class CreateDepartmentInput:
    university_id: relay.GlobalID
    name: str
    code: str | None = None
    description: str = ""


@strawberry.input(description="Changes to a department; omitted fields keep their value;"
                              " null is refused for a required field.")
class UpdateDepartmentInput:
    id: relay.GlobalID
    name: str | None = strawberry.UNSET
    code: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET


@strawberry.input(description="A new subject.")
class CreateSubjectInput:
    name: str
    description: str = ""


@strawberry.input(description="Changes to a subject; omitted fields keep their value;"
                              " null is refused for a required field.")
class UpdateSubjectInput:
    id: relay.GlobalID
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET


@strawberry.type(description="A university after a change.")
class UniversityPayload:
    university: University


@strawberry.type(description="A department after a change.")
class DepartmentPayload:
    department: Department


@strawberry.type(description="A subject after a change.")
class SubjectPayload:
    subject: Subject


@strawberry.type
class InstitutionQuery:
    @strawberry.field(description="Universities in id order.")
    async def universities(self, info: Info, first: int | None = None,
                           after: str | None = None) -> UniversityConnection:
        page = await catalog.get_all_universities(info.context, page=page_args(first, after))
        return connection(UniversityConnection, page, University.from_model)

    @strawberry.field(description="Subjects in id order.")
    async def subjects(self, info: Info, first: int | None = None,
                       after: str | None = None) -> SubjectConnection:
        page = await catalog.get_all_subjects(info.context, page=page_args(first, after))
        return connection(SubjectConnection, page, Subject.from_model)


@strawberry.type
class InstitutionMutation:
    @strawberry.mutation(description="Add a university (platform admins).")
    async def create_university(self, info: Info,
                                input: CreateUniversityInput) -> UniversityPayload:
        row = await catalog.create_university(info.context, fields=set_fields(input))
        return UniversityPayload(university=University.from_model(row))

    @strawberry.mutation(description="Change a university (platform admins).")
    async def update_university(self, info: Info,
                                input: UpdateUniversityInput) -> UniversityPayload:
        row = await catalog.update_university(
            info.context, university_id=decode_id(input.id, "University"),
            changes=set_fields(input, skip=("id",)))
        return UniversityPayload(university=University.from_model(row))

    @strawberry.mutation(description="Delete a university and its departments "
                                     "(platform admins).")
    async def delete_university(self, info: Info, id: relay.GlobalID) -> DeletePayload:
        await catalog.delete_university(info.context, university_id=decode_id(id, "University"))
        return DeletePayload(deleted_id=strawberry.ID(str(id)))

    @strawberry.mutation(description="Add a department to a university (platform admins).")
    async def create_department(self, info: Info,
                                input: CreateDepartmentInput) -> DepartmentPayload:
        row = await catalog.create_department(
            info.context, university_id=decode_id(input.university_id, "University"),
            fields=set_fields(input, skip=("university_id",)))
        return DepartmentPayload(department=Department.from_model(row))

    @strawberry.mutation(description="Change a department (platform admins).")
    async def update_department(self, info: Info,
                                input: UpdateDepartmentInput) -> DepartmentPayload:
        row = await catalog.update_department(
            info.context, department_id=decode_id(input.id, "Department"),
            changes=set_fields(input, skip=("id",)))
        return DepartmentPayload(department=Department.from_model(row))

    @strawberry.mutation(description="Delete a department (platform admins).")
    async def delete_department(self, info: Info, id: relay.GlobalID) -> DeletePayload:
        await catalog.delete_department(info.context, department_id=decode_id(id, "Department"))
        return DeletePayload(deleted_id=strawberry.ID(str(id)))

    @strawberry.mutation(description="Add a subject (platform admins).")
    async def create_subject(self, info: Info, input: CreateSubjectInput) -> SubjectPayload:
        row = await catalog.create_subject(info.context, fields=set_fields(input))
        return SubjectPayload(subject=Subject.from_model(row))

    @strawberry.mutation(description="Change a subject (platform admins).")
    async def update_subject(self, info: Info, input: UpdateSubjectInput) -> SubjectPayload:
        row = await catalog.update_subject(
            info.context, subject_id=decode_id(input.id, "Subject"),
            changes=set_fields(input, skip=("id",)))
        return SubjectPayload(subject=Subject.from_model(row))

    @strawberry.mutation(description="Delete a subject (platform admins).")
    async def delete_subject(self, info: Info, id: relay.GlobalID) -> DeletePayload:
        await catalog.delete_subject(info.context, subject_id=decode_id(id, "Subject"))
        return DeletePayload(deleted_id=strawberry.ID(str(id)))
