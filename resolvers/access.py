"""Who may do what, written once: the role and ownership rules other resolvers share."""

from __future__ import annotations

import uuid

from sqlalchemy import false, true

from core.auth.viewer import ROLE_INSTRUCTOR, Viewer
from core.context import Context
from core.planning import VIEWER_ID

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


def self_or_admin_rule(model):
    """``is_self_or_admin`` for the rows of ``model`` (a ``user_id`` column), as a function
    of the viewer returning a SQL condition on them."""

    def rule(viewer: Viewer):
        if viewer.is_admin:
            return true()
        return model.user_id == VIEWER_ID if viewer.user_id is not None else false()

    return rule


def own_rule(model):
    """The viewer's own rows of ``model`` (a ``user_id`` column), as a function of the
    viewer returning a SQL condition on them (lists of one's notes, cards, progress)."""
    return lambda viewer: (model.user_id == VIEWER_ID if viewer.user_id is not None
                           else false())
