"""Test helpers for the catalog: users per role and rows inserted directly."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert

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
from tests.fixtures import bearer_for, create_user


async def user_with_headers(services, email: str, roles: list[str] | None = None):
    """A new user and their Authorization headers."""
    user = await create_user(services, email=email, roles=roles or [])
    return user, await bearer_for(services, user)


async def headers_for(services, email: str, roles: list[str] | None = None) -> dict:
    return (await user_with_headers(services, email, roles))[1]


async def role_headers(services) -> tuple[dict, dict, dict]:
    """(student, instructor, admin) Authorization headers."""
    return (await headers_for(services, "student@example.com"),
            await headers_for(services, "teacher@example.com", ["INSTRUCTOR"]),
            await headers_for(services, "admin@example.com", ["PLATFORM_ADMIN"]))


async def add(services, model: type, **values: Any) -> Any:
    """Insert one row and return it."""
    async with services.db.transaction() as session:
        row = model(**values)
        session.add(row)
        await session.flush()
        await session.refresh(row)
    return row


async def add_many(services, model: type, rows: list[dict[str, Any]]) -> list[int]:
    """Bulk-insert rows with Core and return their ids in order."""
    if not rows:
        return []
    async with services.db.transaction() as session:
        statement = insert(model).returning(model.id, sort_by_parameter_order=True)
        result = await session.execute(statement, rows)
        return [r[0] for r in result.all()]


__all__ = ["ContentItem", "ContentType", "Course", "CourseOffering", "Department", "Module",
           "Subject", "University", "add", "add_many", "headers_for", "role_headers",
           "user_with_headers"]
