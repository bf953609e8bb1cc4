"""Demo data for `make run`, and the create-admin command: run here, supplied by the domain.

The domain registers what it seeds with ``@demo_data`` and how an admin account is
made with ``@admin_maker`` (``resolvers.demo``), so infrastructure imports no domain
module; the app (``core.app``) imports the packages that register them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.services import Services

# Each returns (whether it created anything, lines to show the operator).
DemoData = Callable[["Services"], Awaitable[tuple[bool, list[str]]]]
AdminMaker = Callable[..., Awaitable[str]]
DEMO_DATA: list[DemoData] = []
ADMIN_MAKERS: list[AdminMaker] = []


def demo_data(seed: DemoData) -> DemoData:
    """Register ``seed`` to run with ``learngraph seed-demo`` (it must be idempotent)."""
    DEMO_DATA.append(seed)
    return seed


def admin_maker(make: AdminMaker) -> AdminMaker:
    """Register how ``learngraph create-admin`` creates or promotes an account."""
    ADMIN_MAKERS[:] = [make]
    return make


async def seed_demo(services: Services) -> tuple[bool, list[str]]:
    """Load every registered piece of demo data that is missing; return (created, lines)."""
    created, lines = False, []
    for seed in DEMO_DATA:
        made, said = await seed(services)
        created = created or made
        lines += said
    return created, lines


async def create_admin(services: Services, *, email: str, password: str) -> str:
    """Create a platform admin, or promote (and re-password) an existing account."""
    if not ADMIN_MAKERS:
        raise RuntimeError("no admin maker registered; import the app first")
    return await ADMIN_MAKERS[0](services, email=email, password=password)
