"""The course platform's /api/v1 users endpoints."""

from __future__ import annotations

from rest_compat.base import Route

ROUTES: list[Route] = []
