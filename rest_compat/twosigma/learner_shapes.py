"""How the course platform renders learners, their dashboard and their progress."""

from __future__ import annotations

from typing import Any

from models.course import Course
from models.learning import ContentProgress, LearningActivity, ModuleProgress
from models.user import User
from resolvers.activity import current_streak
from rest_compat.base import iso
from rest_compat.returns import rendered


def user_public(user: User) -> dict[str, Any]:
    """What every signed-in user may see of another account."""
    return {"id": user.number, "full_name": user.display_name, "created_at": iso(user.created_at)}


def user_private(user: User) -> dict[str, Any]:
    """The account as its owner (or a platform admin) sees it."""
    return {"id": user.number, "email": user.email, "full_name": user.display_name,
            "is_active": user.is_active, "locale": user.locale, "time_zone": user.time_zone,
            "current_streak_days": current_streak(user),
            "last_activity_date": iso(user.last_activity_date),
            "created_at": iso(user.created_at)}


def course(row: Course) -> dict[str, Any]:
    return {"id": row.id, "title": row.title, "code": row.code, "description": row.description,
            "level": row.level, "credit_hours": row.credit_hours,
            "is_published": row.is_published, "university_id": row.university_id,
            "department_id": row.department_id, "primary_subject_id": row.primary_subject_id}


def activity(row: LearningActivity) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "course_id": row.course_id,
            "module_id": row.module_id, "content_item_id": row.content_item_id,
            "summary": row.summary, "occurred_at": iso(row.occurred_at),
            "local_date": iso(row.local_date)}


def module_progress(row: ModuleProgress, user: User) -> dict[str, Any]:
    return {"id": row.id, "user_id": user.number, "module_id": row.module_id,
            "course_offering_id": row.course_offering_id,
            "progress_percent": row.progress_percent, "started_at": iso(row.started_at),
            "completed_at": iso(row.completed_at), "updated_at": iso(row.updated_at)}


def content_progress(row: ContentProgress, user: User) -> dict[str, Any]:
    return {"id": row.id, "user_id": user.number, "content_item_id": row.content_item_id,
            "course_offering_id": row.course_offering_id,
            "progress_percent": row.progress_percent,
            "time_spent_seconds": row.time_spent_seconds, "started_at": iso(row.started_at),
            "completed_at": iso(row.completed_at), "updated_at": iso(row.updated_at)}


# What the renderers above answer, for the OpenAPI document.
R_USER_PUBLIC = rendered(user_public, User)
R_USER_PRIVATE = rendered(user_private, User)
R_MODULE_PROGRESS = rendered(module_progress, ModuleProgress, User)
R_CONTENT_PROGRESS = rendered(content_progress, ContentProgress, User)
