"""The course platform's catalog JSON: one render function per row kind, and the
query and path models the catalog routes share."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from models.course import (
    ContentItem,
    ContentType,
    Course,
    CourseOffering,
    Department,
    Module,
    Subject,
    University,
)
from resolvers.catalog import PageArgs
from rest_compat.base import iso
from rest_compat.returns import rendered


class SkipLimit(BaseModel):
    """``skip``/``limit`` as FastAPI declares them: ``skip >= 0``, ``1 <= limit <= 1000``."""

    model_config = ConfigDict(extra="ignore")

    skip: int = Field(default=0, ge=0)
    limit: int = Field(default=100, ge=1, le=1000)

    def page(self) -> PageArgs:
        return PageArgs.offset(self.skip, self.limit)


def _path(name: str) -> type[BaseModel]:
    return create_model(name, **{name: (int, ...)})


UniversityPath = _path("university_id")
DepartmentPath = _path("department_id")
SubjectPath = _path("subject_id")
CoursePath = _path("course_id")
EnrollmentPath = _path("enrollment_id")
ModulePath = _path("module_id")
ContentPath = _path("content_id")
ContentTypePath = _path("content_type_id")


def university(row: University) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "short_name": row.short_name,
            "country": row.country, "website_url": row.website_url,
            "description": row.description, "created_at": iso(row.created_at),
            "updated_at": iso(row.updated_at)}


def department(row: Department) -> dict[str, Any]:
    return {"id": row.id, "university_id": row.university_id, "name": row.name,
            "code": row.code, "description": row.description,
            "created_at": iso(row.created_at), "updated_at": iso(row.updated_at)}


def subject(row: Subject) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "description": row.description,
            "created_at": iso(row.created_at), "updated_at": iso(row.updated_at)}


def course_summary(row: Course) -> dict[str, Any]:
    """A course as the documented list shows it."""
    return {"id": row.id, "title": row.title, "code": row.code, "description": row.description,
            "level": row.level, "credit_hours": row.credit_hours,
            "is_published": row.is_published, "university_id": row.university_id,
            "department_id": row.department_id}


def course(row: Course) -> dict[str, Any]:
    """A course in detail: the list fields plus subject, cache flag and timestamps."""
    return {**course_summary(row), "primary_subject_id": row.primary_subject_id,
            "cache_enabled": row.cache_enabled, "created_at": iso(row.created_at),
            "updated_at": iso(row.updated_at)}


def offering(row: CourseOffering) -> dict[str, Any]:
    return {"id": row.id, "course_id": row.course_id, "term_name": row.term_name,
            "starts_at": iso(row.starts_at), "ends_at": iso(row.ends_at),
            "enrollment_start": iso(row.enrollment_start),
            "enrollment_end": iso(row.enrollment_end), "visibility": row.visibility,
            "created_at": iso(row.created_at)}


def module(row: Module) -> dict[str, Any]:
    return {"id": row.id, "course_id": row.course_id, "parent_module_id": row.parent_module_id,
            "title": row.title, "description": row.description,
            "module_type": row.module_type, "sequence_index": row.sequence_index,
            "created_at": iso(row.created_at), "updated_at": iso(row.updated_at)}


def content_type(row: ContentType) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "label": row.label,
            "description": row.description, "required_fields": list(row.required_fields),
            "prompt_name": row.prompt_name, "created_at": iso(row.created_at),
            "updated_at": iso(row.updated_at)}


def content_item(row: ContentItem, kind: ContentType) -> dict[str, Any]:
    """A content item exactly as documented, with its type's name and label nested."""
    return {"id": row.id, "module_id": row.module_id, "title": row.title,
            "content_type_id": row.content_type_id,
            "content_type": {"name": kind.name, "label": kind.label},
            "description": row.description, "data_json": row.data_json,
            "sequence_index": row.sequence_index,
            "estimated_duration_seconds": row.estimated_duration_seconds}


# What the renderers above answer, for the OpenAPI document.
R_UNIVERSITY = rendered(university, University)
R_DEPARTMENT = rendered(department, Department)
R_SUBJECT = rendered(subject, Subject)
R_COURSE_SUMMARY = rendered(course_summary, Course)
R_COURSE = rendered(course, Course)
R_OFFERING = rendered(offering, CourseOffering)
R_MODULE = rendered(module, Module)
R_CONTENT_TYPE = rendered(content_type, ContentType)
R_CONTENT_ITEM = rendered(content_item, ContentItem, ContentType)
