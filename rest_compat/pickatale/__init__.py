"""The Pickatale reading platform: one face per documented service.

Each service keeps its documented base and port: the reader app (3125) and the
telemetry service (3110) at ``/api``, the learner bot (3120), the adaptive content
engine (3119), the orchestrator (3121), the assessment bot and the curriculum mapper
(no documented port) at ``/api/v1``.
They are served together on the main port (their paths do not collide; the one
operation both the reader and telemetry document, ``POST /api/session/end``, is
one shared route), each under ``/compat/pickatale-<service>/``, and each on its
own port when ``LEARNGRAPH_FACE_PORTS`` names it
(``pickatale-telemetry=3110,pickatale-reader=3125,pickatale-learner-bot=3120``).

Credential: ``X-Internal-Key`` (``LEARNGRAPH_INTERNAL_KEY``); a platform admin's
Bearer token is accepted too. Billing (``/api/billing``, no documented port) takes the
account center's ``uc_session`` for an account's own subscription and checkout, the
internal key for entitlement checks, and only a Stripe signature on its webhook.
The teacher portal (3116, ``/api/v1``: classes, students, rosters, notifications,
parent claims) takes only the account's ``uc_session``.
The account center (``/api/auth``) sets ``uc_session``; its paths collide with the
course platform's, so it is served under ``/compat/pickatale-account-center/`` and on
its own port (see ``account_center.py``).
Errors follow the reference's §39 shape, see ``shapes.py``. Every face of the platform
counts a signed-in user's requests in the reference's rate-limit groups
(``resolvers.reading_limits``). Choices where the reference is silent are in each route
module.
"""

from resolvers.reading_limits import api_limit
from rest_compat.base import Face
from rest_compat.pickatale import (
    account_center,
    adaptive,
    assessment,
    billing,
    curriculum,
    learner_bot,
    notifications,
    orchestrator,
    parent_claims,
    reader,
    teachers,
    telemetry,
    trpc,
)
from rest_compat.pickatale.shapes import render_error, render_internal, render_validation

# Every route of the platform: the per-user API group.
CHECKS = (api_limit,)
_SECURITY = {"type": "apiKey", "in": "header", "name": "X-Internal-Key"}
_NO_KEY = "Missing or invalid X-Internal-Key"


def _service(name: str, title: str, base: str, port: int | None, routes, description: str):
    return Face(name=f"pickatale-{name}", family="pickatale", title=title, base=base,
                port=port, routes=routes, render_error=render_error,
                render_validation=render_validation, internal_error=render_internal,
                unauthenticated_message=_NO_KEY, security=_SECURITY,
                description=description, checks=CHECKS)


READER = _service("reader", "Pickatale reader app", "/api", 3125, reader.ROUTES,
                  "The reader app's server: session end and learner stats.")
TELEMETRY = _service("telemetry", "Pickatale telemetry service", "/api", 3110,
                     telemetry.ROUTES, "Reading telemetry events and session ends.")
LEARNER_BOT = _service("learner-bot", "Pickatale learner bot", "/api/v1", 3120,
                       learner_bot.ROUTES,
                       "Learner status, quiz results, vocabulary gaps, session summaries.")

ASSESSMENT_BOT = _service("assessment-bot", "Pickatale assessment bot", "/api/v1", None,
                          assessment.ROUTES,
                          "Comprehension questions from page texts, and their scoring.")

ADAPTIVE_CONTENT = _service("adaptive-content", "Pickatale adaptive content engine", "/api/v1",
                            3119, adaptive.ROUTES,
                            "Pages and books rewritten toward a Flesch-Kincaid grade.")

CURRICULUM_MAPPER = _service("curriculum-mapper", "Pickatale curriculum mapper", "/api/v1",
                             None, curriculum.ROUTES,
                             "Learning objectives of the sample curricula.")
ORCHESTRATOR = _service("orchestrator", "Pickatale orchestrator", "/api/v1", 3121,
                        orchestrator.ROUTES, "The gap-to-content loop for a learner.")

CURRICULUM_TRPC = Face(
    name="pickatale-curriculum-trpc", family="pickatale", title="Pickatale curriculum mapper "
    "(tRPC)", base="/api/trpc", port=None, routes=trpc.ROUTES,
    render_error=trpc.render_error, render_validation=trpc.render_validation,
    internal_error=trpc.render_internal, checks=CHECKS,
    description="curriculum.generateIntelligence for existing tRPC clients.")

# The account center's session cookie, which the teacher portal and billing read.
SESSION_COOKIE = account_center.SESSION_COOKIE

ACCOUNT_CENTER = Face(
    name="pickatale-account-center", family="pickatale", title="Pickatale account center",
    base="/api/auth", port=None, routes=account_center.ROUTES, render_error=render_error,
    render_validation=render_validation, internal_error=render_internal,
    unauthenticated_message="Not authenticated", session_cookie=SESSION_COOKIE,
    security={"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE}, checks=CHECKS,
    description="Registration with email verification, password reset, sign-in of adults "
                "and children (sets uc_session), and the session services check.")

BILLING = Face(
    name="pickatale-billing", family="pickatale", title="Pickatale billing",
    base="/api/billing", port=None, routes=billing.ROUTES, render_error=render_error,
    render_validation=render_validation, internal_error=render_internal,
    unauthenticated_message="Not authenticated", session_cookie=SESSION_COOKIE,
    security={"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE}, checks=CHECKS,
    description="Subscriptions and Stripe checkout (uc_session), Stripe webhooks "
                "(signature), entitlement checks (X-Internal-Key).")

TEACHER_PORTAL = Face(
    name="pickatale-teacher-portal", family="pickatale", title="Pickatale teacher portal",
    base="/api/v1", port=3116, routes=[*teachers.ROUTES, *notifications.ROUTES,
                                        *parent_claims.ROUTES],
    render_error=render_error,
    render_validation=render_validation, internal_error=render_internal,
    unauthenticated_message="Not authenticated", session_cookie=SESSION_COOKIE,
    security={"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE},
    prefixes=("/class", "/classes", "/notifications", "/parent-claims"), checks=CHECKS,
    description="Classes, students and roster imports, notifications and parent claims "
                "(uc_session; teachers and school admins).")

FACES = [READER, TELEMETRY, LEARNER_BOT, ASSESSMENT_BOT, ADAPTIVE_CONTENT, CURRICULUM_MAPPER,
         ORCHESTRATOR, CURRICULUM_TRPC, BILLING, TEACHER_PORTAL, ACCOUNT_CENTER]
