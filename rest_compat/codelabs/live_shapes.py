"""How the Codelabs face shows the live room: chat messages, room events, inline
comment threads and audit entries (ids as the face writes them)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from core.errors import NotFound
from models.codelab_live import CodelabAuditLog, CodelabComment, CodelabCommentThread
from resolvers.codelab_comments import Thread
from rest_compat.base import iso
from rest_compat.codelabs.shapes import attendee_ref, codelab_ref, step_ref
from rest_compat.returns import rendered, sample

# Who a direct message to the facilitators names as its target.
FACILITATOR_TARGET = "facilitator"


def number_or_zero(prefix: str, value: str) -> int:
    """The row id in a ``<prefix>_<n>`` id; 0 (no row's) when ``value`` is not one."""
    match = re.fullmatch(prefix + r"_([0-9]{1,18})", value or "")
    return int(match.group(1)) if match else 0


def number(prefix: str, value: str, missing: str) -> int:
    """The row id in a ``<prefix>_<n>`` id; NotFound(``missing``) when it is not one."""
    found = number_or_zero(prefix, value)
    if not found:
        raise NotFound(missing)
    return found


def _attendee(user_id: str | None) -> str | None:
    return attendee_ref(uuid.UUID(user_id)) if user_id else None


def _target(msg_type: str, target_user_id: Any) -> str | None:
    if msg_type != "dm":
        return None
    return attendee_ref(uuid.UUID(str(target_user_id))) if target_user_id else FACILITATOR_TARGET


def chat_message(row: Any) -> dict[str, Any]:
    return {"id": f"chat_{row.id}", "codelab_id": codelab_ref(row.course_id),
            "sender_name": row.sender_name, "message": row.message, "msg_type": row.msg_type,
            "target_id": _target(row.msg_type, row.target_user_id),
            "created_at": iso(row.created_at)}


def room_event(event: dict[str, Any]) -> dict[str, Any]:
    """A room event as the WebSocket sends it (the documented server messages)."""
    kind = event["type"]
    if kind in ("chat", "dm"):
        shown = {"type": kind, "id": f"chat_{event['id']}", "sender": event["sender"],
                 "message": event["message"],
                 "created_at": iso(datetime.fromisoformat(event["created_at"]))}
        if kind == "dm":
            shown["target_id"] = _target("dm", event.get("target_user_id"))
        return shown
    if kind in ("step_progress", "help_request"):
        return {"type": kind, "attendee_id": _attendee(event.get("attendee_user_id")),
                "step_number": event["step_number"]}
    if kind == "inline_comment_changed":
        step_id = event.get("step_id")
        return {"type": kind, "target_type": event["target_type"],
                "target_step_id": step_ref(step_id) if step_id else None}
    return {"type": kind}


def _author_id(role: str, user_id: uuid.UUID | None) -> str | None:
    if role == "attendee":
        return attendee_ref(user_id) if user_id else None
    return FACILITATOR_TARGET


def comment(row: Any) -> dict[str, Any]:
    return {"id": f"comment_{row.id}", "thread_id": f"thread_{row.thread_id}",
            "codelab_id": codelab_ref(row.course_id), "author_role": row.author_role,
            "author_id": _author_id(row.author_role, row.author_user_id),
            "author_name": row.author_name, "message": row.message,
            "created_at": iso(row.created_at)}


def thread(found: Thread) -> dict[str, Any]:
    row = found.row
    by_attendee = row.created_by_role == "attendee" and row.created_by_user_id is not None
    return {"id": f"thread_{row.id}", "codelab_id": codelab_ref(row.course_id),
            "anchor_key": row.anchor_key, "target_type": row.target_type,
            "target_step_id": step_ref(row.step_id) if row.step_id else None,
            "start_offset": row.start_offset, "end_offset": row.end_offset,
            "selected_text": row.selected_text, "content_hash": row.content_hash,
            "created_by_attendee_id": attendee_ref(row.created_by_user_id)
            if by_attendee else None,
            "created_at": iso(row.created_at),
            "messages": [comment(c) for c in found.comments]}


# Audit entries name their target by the kind of thing the action is about.
_TARGET_PREFIX = {"codelab_": "codelab_", "help_": "help_", "quiz_": "codelab_",
                  "inline_comment_": "comment_"}


def audit_entry(row: Any) -> dict[str, Any]:
    target = row.target_id
    if target is not None and target.isdigit():
        prefix = next((p for a, p in _TARGET_PREFIX.items() if row.action.startswith(a)), "")
        target = prefix + target
    return {"id": f"audit_{row.id}", "action": row.action, "actor_type": row.actor_type,
            "actor_id": row.actor_id, "target_id": target,
            "codelab_id": codelab_ref(row.course_id), "ip": row.ip,
            "user_agent": row.user_agent, "metadata": row.details,
            "created_at": iso(row.created_at)}


# What the renderers above answer, for the OpenAPI document.
R_THREAD = rendered(thread, lambda null: Thread(
    row=sample(CodelabCommentThread, null=null),
    comments=[sample(CodelabComment, null=null, author_role="attendee",
                     author_user_id=uuid.UUID(int=1))]))
R_AUDIT_ENTRY = rendered(audit_entry, CodelabAuditLog)
