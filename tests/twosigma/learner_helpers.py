"""Helpers shared by the learner-side 2Sigma tests: direct inserts of catalog rows."""

from __future__ import annotations

from models.course import (
    ContentItem,
    ContentType,
    Course,
    CourseOffering,
    Enrollment,
    Module,
    Subject,
)

API = "/api/v1"


async def add(services, *rows):
    """Insert ``rows`` in one transaction and return them (ids filled)."""
    async with services.db.transaction() as session:
        session.add_all(rows)
        await session.flush()
    return rows if len(rows) > 1 else rows[0]


async def subject(services, name: str = "Math") -> Subject:
    return await add(services, Subject(name=name))


async def course(services, *, title: str = "Intro to CS", code: str = "CS101",
                 published: bool = True, subject_id: int | None = None) -> Course:
    return await add(services, Course(title=title, code=code, is_published=published,
                                      primary_subject_id=subject_id))


async def offering(services, course_row: Course, term: str = "Spring 2026") -> CourseOffering:
    return await add(services, CourseOffering(course_id=course_row.id, term_name=term))


async def enroll(services, user, offering_row: CourseOffering,
                 status: str = "ACTIVE") -> Enrollment:
    return await add(services, Enrollment(user_id=user.id, course_offering_id=offering_row.id,
                                          status=status))


async def module(services, course_row: Course, title: str = "Week 1") -> Module:
    return await add(services, Module(course_id=course_row.id, title=title))


async def content_type(services, name: str = "video") -> ContentType:
    return await add(services, ContentType(name=name, label=name.title()))


async def content_item(services, module_row: Module, type_row: ContentType,
                       title: str = "Intro", data: dict | None = None) -> ContentItem:
    return await add(services, ContentItem(module_id=module_row.id, course_id=module_row.course_id,
                                           content_type_id=type_row.id, title=title,
                                           data_json=data or {}))
