"""The public address of a shared chat, the same in every face that hands it out."""

from __future__ import annotations

SHARE_PATH = "/api/v1/chat/share/{token}"


def share_url(token: str) -> str:
    """Where anyone reads the chat shared under ``token``, without signing in."""
    return SHARE_PATH.format(token=token)
