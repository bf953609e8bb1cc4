"""The OpenLearning face: skill assessment, served at ``/api`` (FastAPI-style).

Credential: the ``access_token`` httpOnly JWT cookie. Errors:
``{"detail": "..."}`` with the documented status; request-body validation
failures are FastAPI's 422 ``{"detail": [{"type", "loc", "msg", "input"}]}``.

Choices where the reference is silent:
- ``/api/auth/register`` and ``/api/auth/login`` are rate limited per client
  address, and sign-in per account too (a lockout after repeated failures):
  429 ``{"detail": ...}`` with ``Retry-After``.
- ``avatarUrl`` is ``""`` for accounts that have no avatar (the model types it
  as a non-null string); ``displayName`` defaults to the email's local part.
- A failed GitHub callback (bad or expired ``state``, a rejected ``code``)
  answers 400 ``{"detail": ...}``; GitHub unreachable answers 502/504.
- Unexpected failures answer 500 ``{"detail": "Internal Server Error"}``.
- A write (POST/PUT/PATCH/DELETE) signed in with the cookie must send JSON
  (``Content-Type: application/json``) or an ``X-CSRF-Token`` header, else it
  answers 403 ``{"detail": ...}``: SameSite=Lax alone lets a sibling subdomain
  or another local port post a form with the cookie.
"""

from rest_compat.base import Face
from rest_compat.openlearning import analysis, assessment, auth, health, knowledge, materials
from rest_compat.openlearning.shapes import render_error, render_internal, render_validation

FACE = Face(
    name="openlearning",
    title="OpenLearning API",
    base="/api",
    port=8000,
    routes=[*health.ROUTES, *auth.ROUTES, *knowledge.ROUTES, *analysis.ROUTES,
            *assessment.ROUTES, *materials.ROUTES],
    render_error=render_error,
    render_validation=render_validation,
    internal_error=render_internal,
    description="Skill assessment: auth, knowledge base, assessments, gap analysis, "
                "learning plans and generated materials.",
)
