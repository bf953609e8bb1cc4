"""Demo data for `make run`, loaded once, and the create-admin command."""

from __future__ import annotations

from sqlalchemy import func, select

from core.auth import passwords
from core.services import Services
from models.user import User

DEMO_EMAIL = "demo@learngraph.dev"
DEMO_PASSWORD = "learngraph-demo"
ADMIN_ROLE = "PLATFORM_ADMIN"


async def seed_demo(services: Services) -> tuple[bool, list[str]]:
    """Create the demo accounts if they are missing; return (created, lines to print)."""
    created = False
    async with services.db.transaction() as session:
        demo = (await session.execute(select(User).where(
            func.lower(User.email) == DEMO_EMAIL))).scalar_one_or_none()
        if demo is None:
            session.add(User(email=DEMO_EMAIL, display_name="Demo Learner",
                             password_hash=await passwords.hash_password(DEMO_PASSWORD),
                             roles=["STUDENT"]))
            created = True
    return created, [f"demo user: {DEMO_EMAIL} / password: {DEMO_PASSWORD}"]


async def create_admin(services: Services, *, email: str, password: str) -> str:
    """Create a platform admin, or promote (and re-password) an existing account."""
    if not 8 <= len(password) <= 128:
        raise ValueError("Password must be between 8 and 128 characters")
    from core.errors import Validation
    from resolvers.auth import normalize_email

    try:
        email = normalize_email(email)
    except Validation as exc:
        raise ValueError(exc.message) from exc
    password_hash = await passwords.hash_password(password)
    async with services.db.transaction() as session:
        user = (await session.execute(select(User).where(
            func.lower(User.email) == email.lower()))).scalar_one_or_none()
        if user is None:
            session.add(User(email=email, display_name=email.split("@")[0],
                             password_hash=password_hash, roles=[ADMIN_ROLE]))
            return f"created platform admin {email}"
        user.password_hash = password_hash
        user.roles = sorted({*user.roles, ADMIN_ROLE})
        return f"promoted {email} to platform admin"
