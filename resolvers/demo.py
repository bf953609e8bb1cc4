"""The course platform's demo data for `make run`, loaded once, and how the
create-admin command makes an admin (both registered with ``core.demo``).

The demo accounts are a learner and an instructor (same password); the demo
university with its courses is in ``resolvers.demo_catalog``.
"""

from __future__ import annotations

from core.auth import passwords
from core.demo import admin_maker, demo_data
from core.errors import Validation
from core.services import Services
from models.user import User
from resolvers.auth import normalize_email, user_by_email
from resolvers.demo_catalog import lock_demo, seed_catalog

DEMO_EMAIL = "demo@learngraph.dev"
DEMO_PASSWORD = "learngraph-demo"
INSTRUCTOR_EMAIL = "instructor@learngraph.dev"
ADMIN_ROLE = "PLATFORM_ADMIN"


async def _account(session, *, email: str, name: str, roles: list[str],
                   cost: tuple[int, int, int]) -> tuple[User, bool]:
    user = await user_by_email(session, email)
    if user is not None:
        return user, False
    user = User(email=email, display_name=name, roles=roles,
                password_hash=await passwords.hash_password(DEMO_PASSWORD, cost=cost))
    session.add(user)
    await session.flush()
    return user, True


@demo_data
async def seed_demo(services: Services) -> tuple[bool, list[str]]:
    """Create the demo accounts and university if they are missing; return (created, lines)."""
    async with services.db.transaction() as session:
        await lock_demo(session)
        learner, new_learner = await _account(session, email=DEMO_EMAIL, name="Demo Learner",
                                              roles=["STUDENT"],
                                              cost=services.settings.password_hash_cost)
        instructor, new_instructor = await _account(
            session, email=INSTRUCTOR_EMAIL, name="Prof. Grace Okafor", roles=["INSTRUCTOR"],
            cost=services.settings.password_hash_cost)
        new_catalog = await seed_catalog(session, learner=learner, instructor=instructor)
    return new_learner or new_instructor or new_catalog, [
        f"demo user: {DEMO_EMAIL} / password: {DEMO_PASSWORD}",
        f"demo instructor: {INSTRUCTOR_EMAIL} / password: {DEMO_PASSWORD}"]


@admin_maker
async def create_admin(services: Services, *, email: str, password: str) -> str:
    """Create a platform admin, or promote (and re-password) an existing account."""
    if not 8 <= len(password) <= 128:
        raise ValueError("Password must be between 8 and 128 characters")
    try:
        email = normalize_email(email)
    except Validation as exc:
        raise ValueError(exc.message) from exc
    password_hash = await passwords.hash_password(password,
                                                  cost=services.settings.password_hash_cost)
    async with services.db.transaction() as session:
        user = await user_by_email(session, email)
        if user is None:
            session.add(User(email=email, display_name=email.split("@")[0],
                             password_hash=password_hash, roles=[ADMIN_ROLE]))
            return f"created platform admin {email}"
        user.password_hash = password_hash
        user.roles = sorted({*user.roles, ADMIN_ROLE})
        return f"promoted {email} to platform admin"
