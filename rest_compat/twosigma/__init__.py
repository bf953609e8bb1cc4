"""The 2Sigma face: the university course platform, served at ``/api/v1``.

Credential: ``Authorization: Bearer <access token>`` (JWT); ``/auth/refresh``
takes the refresh token in the same header. Errors: ``{"detail": "..."}``
with the documented status; validation failures are FastAPI's 422.

Choices where the reference is silent are listed in each route module. One
shared by all: ``/auth/login`` and the registrations are rate limited per
client address, and sign-in per account (a lockout after repeated failures),
answering 429 ``{"detail": ...}`` with ``Retry-After``.
"""

from rest_compat.base import Face
from rest_compat.twosigma import (
    admin,
    admin_llm,
    auth,
    catalog,
    chat,
    content,
    courses,
    enrollments,
    feature_requests,
    modules,
    progress,
    prompts,
    users,
)
from rest_compat.twosigma.shapes import render_error, render_internal, render_validation

FACE = Face(
    name="twosigma",
    title="2Sigma course platform API",
    base="/api/v1",
    port=8000,
    routes=[*auth.ROUTES, *users.ROUTES, *catalog.ROUTES, *courses.ROUTES, *enrollments.ROUTES,
            *modules.ROUTES, *content.ROUTES, *progress.ROUTES, *feature_requests.ROUTES,
            *admin.ROUTES, *prompts.ROUTES, *admin_llm.ROUTES, *chat.ROUTES],
    render_error=render_error,
    render_validation=render_validation,
    internal_error=render_internal,
    security={"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    description="University course platform: users, catalog, module trees, content, "
                "progress, feature requests and admin analytics.",
)
