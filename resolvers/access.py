"""Who may do what, written once: the role and ownership rules other resolvers share."""

from __future__ import annotations

import uuid

from core.auth.viewer import ROLE_INSTRUCTOR, Viewer
from core.context import Context

# Enrollments that make a learner a member of a course: they may post in its discussions,
# record progress and rate it.
ENROLLED_STATUSES = ("ACTIVE", "COMPLETED")


def is_staff(viewer: Viewer) -> bool:
    """Instructors and platform admins: they author courses, see unpublished ones, triage
    feature requests and belong to every course's discussions."""
    return viewer.has_role(ROLE_INSTRUCTOR) or viewer.is_admin


def is_self_or_admin(ctx: Context, user_id: uuid.UUID | None) -> bool:
    """A user's private records (email, settings, activity, notes) are for the user
    themself and platform admins."""
    return (user_id is not None and ctx.viewer.user_id == user_id) or ctx.viewer.is_admin
