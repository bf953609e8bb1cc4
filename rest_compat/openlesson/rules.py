"""What every ``/api/v2/agent/*`` route declares, in one place.

Agent routes take only an API key (``Authorization: Bearer sk_…|gsk_…``); each
request counts against the key's per-minute limit, then the Teams tier is
checked, then the route's scope. The key-minting route takes a signed-in
session instead (the ``access_token`` cookie or a Bearer access token), never a
key, and needs the Teams tier too.
"""

from __future__ import annotations

import math
from typing import Any

from resolvers import api_key, organization
from resolvers.uploads import MAX_FILE_BYTES

# Request bodies: one base64 file of 10 MB with its JSON around it; five for a
# workspace (the face's limit); everything else is small.
ONE_FILE_BODY = math.ceil(MAX_FILE_BYTES * 4 / 3) + 64 * 1024
FIVE_FILES_BODY = 5 * ONE_FILE_BODY + 64 * 1024
SMALL_BODY = 256 * 1024


# What every agent request passes before its scope: the key's per-minute count, then the tier.
AGENT_CHECKS = (api_key.count_request, organization.require_teams)


def agent(scope: str, *, max_body: int = SMALL_BODY) -> dict[str, Any]:
    """Route options of an agent route that needs ``scope``."""
    return {"auth": True, "credential": "api_key", "scope": scope, "max_body_bytes": max_body,
            # Base64 file data is one long string.
            "max_string_length": ONE_FILE_BODY if max_body > SMALL_BODY else None,
            "checks": AGENT_CHECKS}


def session_with_teams() -> dict[str, Any]:
    """Route options of a browser-session route that needs the Teams tier."""
    return {"auth": True, "credential": "session", "checks": (organization.require_teams,),
            "max_body_bytes": SMALL_BODY}
