"""The indexed router picks, for every fixed path, the route Starlette's in-order
matching picks, and leaves every other request to that matching."""

from __future__ import annotations

from starlette.routing import Match

from core.app import create_app
from core.routing import IndexedRouter
from tests.fixtures import make_settings


def _linear(routes, scope):
    """Starlette's own choice: the first route matching in full."""
    for route in routes:
        if route.matches(scope)[0] is Match.FULL:
            return route
    return None


def test_every_fixed_path_goes_where_starlette_would_send_it():
    app = create_app(make_settings(), database_url="postgresql://unused/unused")
    router = app.router
    assert isinstance(router, IndexedRouter)
    assert len(router.fixed) > 200
    for (kind, method, path), route in router.fixed.items():
        scope = {"type": kind, "path": path, "root_path": "",
                 **({"method": method} if method else {})}
        assert _linear(router.routes, scope) is route, (kind, method, path)


async def test_fixed_and_parameterised_paths_answer_through_the_app(client):
    assert (await client.get("/api/health")).status_code == 200
    # A fixed path with a method it does not take: still Starlette's 405.
    assert (await client.delete("/api/health")).status_code == 405
    # A path with an id in it, and an unknown one, are routed as before.
    response = await client.get("/api/v1/courses/not-a-number")
    assert response.status_code == 422
    assert (await client.get("/no/such/path")).status_code == 404
