"""Self-hosted GraphiQL and Swagger UI pages.

Everything the pages load is vendored under ``core/static/`` (see the
``VERSIONS.txt`` files there), so the pages work on networks without a CDN.

- :func:`graphiql_html` / :func:`swagger_html` render the page templates
  (``core/static/<kind>/index.html``), substituting the ``{{...}}``
  placeholders. Templates are read once and the rendered pages cached.
- :func:`static_app` is a Starlette ``StaticFiles`` app for the assets, to be
  mounted at the same prefix passed to the page function, e.g.::

      Mount("/graphql/static", app=static_app("graphiql"))
      Mount("/api/docs/static", app=static_app("swagger"))
"""

from __future__ import annotations

import html
from functools import cache, lru_cache
from pathlib import Path

from starlette.staticfiles import StaticFiles

STATIC_ROOT = Path(__file__).resolve().parent / "static"
KINDS = ("graphiql", "swagger")

DEFAULT_GRAPHIQL_STATIC = "/graphql/static"
DEFAULT_SWAGGER_STATIC = "/api/docs/static"
DEFAULT_OPENAPI_URL = "/api/openapi.json"


def static_dir(kind: str) -> Path:
    """The directory holding the assets of ``kind`` ("graphiql" or "swagger")."""
    if kind not in KINDS:
        raise ValueError(f"unknown docs page kind {kind!r}; expected one of {KINDS}")
    return STATIC_ROOT / kind


@cache
def _template(kind: str) -> str:
    return (static_dir(kind) / "index.html").read_text(encoding="utf-8")


def _render(kind: str, values: dict[str, str]) -> str:
    page = _template(kind)
    for name, value in values.items():
        # All placeholders sit inside double-quoted attributes.
        page = page.replace("{{" + name + "}}", html.escape(value, quote=True))
    return page


def _prefix(path: str) -> str:
    return path.rstrip("/")


@lru_cache(maxsize=32)
def graphiql_html(
    static_prefix: str = DEFAULT_GRAPHIQL_STATIC, *, graphql_path: str = "/graphql"
) -> str:
    """The GraphiQL page; assets are loaded from ``static_prefix``.

    Queries go to ``graphql_path`` over POST (cookies included), subscriptions
    to the same path over WebSocket (graphql-transport-ws).
    """
    return _render(
        "graphiql",
        {"STATIC": _prefix(static_prefix), "GRAPHQL_PATH": graphql_path},
    )


@lru_cache(maxsize=32)
def swagger_html(
    *,
    static_prefix: str = DEFAULT_SWAGGER_STATIC,
    openapi_url: str = DEFAULT_OPENAPI_URL,
) -> str:
    """The Swagger UI page rendering the OpenAPI document at ``openapi_url``."""
    return _render(
        "swagger",
        {"STATIC": _prefix(static_prefix), "OPENAPI_URL": openapi_url},
    )


def static_app(kind: str) -> StaticFiles:
    """A ``StaticFiles`` app serving the vendored assets of ``kind``."""
    return StaticFiles(directory=static_dir(kind))
