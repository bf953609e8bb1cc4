"""What every ``/api/v2/agent/*`` route declares, in one place.

Agent routes take only an API key (``Authorization: Bearer sk_…|gsk_…``); each
request counts against the key's per-minute limit, then the Teams tier is
checked, then the route's scope. The key-minting route takes a signed-in
session instead (the ``access_token`` cookie or a Bearer access token), never a
key, and needs the Teams tier too.
"""

from __future__ import annotations

from typing import Any

from resolvers import api_key, organization


def agent(scope: str) -> dict[str, Any]:
    """Route options of an agent route that needs ``scope``."""
    return {"auth": True, "credential": "api_key", "scope": scope,
            "checks": (api_key.count_request, organization.require_teams)}


def session_with_teams() -> dict[str, Any]:
    """Route options of a browser-session route that needs the Teams tier."""
    return {"auth": True, "credential": "session", "checks": (organization.require_teams,)}
