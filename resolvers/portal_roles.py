"""The reading platform's account roles, as ``User.roles`` carries them.

Teachers, parents and school admins register through the account center; children
sign in with a username and PIN a teacher's roster import gave them. A platform
admin passes every check of these roles.
"""

from __future__ import annotations

from core.context import Context
from core.errors import Forbidden

TEACHER = "TEACHER"
PARENT = "PARENT"
SCHOOL_ADMIN = "SCHOOL_ADMIN"
# A child's account, made by a teacher's roster; it signs in with a username and PIN.
CHILD = "CHILD"
# Accounts that hold a subscription: the people who pay.
PAYING = frozenset({TEACHER, PARENT, SCHOOL_ADMIN})
# Accounts that run classes.
STAFF = frozenset({TEACHER, SCHOOL_ADMIN})


def holds_any(viewer, roles: frozenset[str]) -> bool:
    """Whether the viewer is a signed-in user with one of ``roles`` or a platform admin
    (``require_any``'s rule, which planned reads check too)."""
    return viewer.user_id is not None and (viewer.is_admin or bool(roles & viewer.roles))


def require_any(ctx: Context, roles: frozenset[str]) -> None:
    """A signed-in user with one of ``roles`` (or a platform admin); Forbidden otherwise."""
    ctx.viewer.require_user()
    if holds_any(ctx.viewer, roles):
        return
    raise Forbidden("Your account's role may not do this",
                    details={"required_role": sorted(r.lower() for r in roles)})
