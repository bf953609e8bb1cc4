"""The Codelabs face: hands-on workshops, served at ``/api`` (documented port 8080).

Credential: the ``oc_session`` httpOnly cookie set by ``POST /login``
(facilitator) or ``POST /codelabs/:id/register`` (attendee), with the
``oc_csrf`` cookie beside it: every POST/PUT/DELETE signed in with a session
cookie must carry ``X-CSRF-Token`` equal to ``oc_csrf`` (403 otherwise; the
framework's CSRF rule, ``core.csrf``, with this face's policy). A Bearer token
of any learngraph session works too, without CSRF. Errors are
``{"error": "..."}`` with the documented status; bad input is 400.

None of its methods and paths is another face's, so the main port serves it at
``/api`` beside the OpenLearning face (``core.app.main_port_faces`` would move it
off the main port if one ever collided); it is always under
``/compat/codelabs/api``. When ``LEARNGRAPH_FACE_PORTS`` names it
(``codelabs=8080``, its documented port) it answers at ``/api`` on that port,
and on the main port only under ``/compat/codelabs/``.

Choices where the reference is silent are listed in each route module.
"""

from rest_compat.base import Face
from rest_compat.codelabs import (
    ai,
    archive,
    attendees,
    audit,
    auth,
    certificates,
    codelabs,
    codeserver,
    comments,
    help_requests,
    materials,
    quizzes,
    room,
)
from rest_compat.codelabs.shapes import CSRF, render_error, render_internal, render_validation

FACE = Face(
    name="codelabs",
    title="Codelabs workshop API",
    base="/api",
    port=8080,
    routes=[*comments.ROUTES, *room.ROUTES, *audit.ROUTES,
            *auth.ROUTES, *codelabs.ROUTES, *attendees.ROUTES, *help_requests.ROUTES,
            *quizzes.ROUTES, *certificates.ROUTES, *materials.ROUTES,
            *archive.ROUTES, *codeserver.ROUTES, *ai.ROUTES],
    sockets=room.SOCKETS,
    render_error=render_error,
    render_validation=render_validation,
    internal_error=render_internal,
    unauthenticated_message="Login required",
    security={"type": "apiKey", "in": "cookie", "name": "oc_session"},
    session_cookie="oc_session",
    csrf=CSRF,
    description="Hands-on workshops: facilitator sign-in, codelabs and their steps, "
                "attendees, completion and certificates, help requests, feedback, quizzes, "
                "the live room, the AI helper and code-server workspaces.",
)
