"""The OpenLesson face: the agentic API, served at ``/api`` (agent routes under
``/api/v2/agent``).

Credential: ``Authorization: Bearer <sk_…|gsk_…>`` API keys on agent routes,
each route declaring the scope it needs; the organization and key-minting
routes take the browser session. Every agent route needs an active
``pro_teams`` tier (``403 teams_required``; platform admins pass) and counts
against the key's 120 requests per minute, held in PostgreSQL so the limit
holds across instances (``429 rate_limit_exceeded`` with ``Retry-After``).
Errors: ``{"error": {"code", "message", "details"}}``.

Choices where the reference is silent are listed in each route module.
"""

from rest_compat.base import Face
from rest_compat.openlesson import (
    evidence,
    ghl,
    keys,
    learner,
    mcp,
    organizations,
    performance,
    workspaces,
)
from rest_compat.openlesson.rules import FIVE_FILES_BODY
from rest_compat.openlesson.shapes import render_error, render_internal, render_validation

FACE = Face(
    name="openlesson",
    title="OpenLesson agentic API",
    base="/api",
    port=8000,
    routes=[*organizations.ROUTES, *keys.ROUTES, *workspaces.ROUTES, *evidence.ROUTES,
            *performance.ROUTES, *ghl.ROUTES, *learner.ROUTES,
            *mcp.ROUTES],
    render_error=render_error,
    render_validation=render_validation,
    internal_error=render_internal,
    unauthenticated_message="Missing or invalid credentials",
    security={"type": "http", "scheme": "bearer", "bearerFormat": "API key"},
    prefixes=("/v2/agent", "/organization", "/workspace-ghl-score", "/mcp"),
    max_body_bytes=FIVE_FILES_BODY,
    description="Agentic API: organizations, scoped member and guest API keys, "
                "performance workspaces and their blocks.",
)
