"""The tutor's system prompt for a content item, and the key of its version.

``tutor_prompt`` is the one place the chat asks for its prompt. The key it
returns is part of the response cache's key, so a new version of the prompt,
or of any prompt it includes, starts a new cache tree. The production version
of the prompt named by the content type's ``prompt_name`` is used, with its
dependencies resolved; without one (no name, no production version, or a
prompt whose dependencies do not resolve, which is logged) the built-in
template is.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import DomainError
from models.course import ContentItem, ContentType
from resolvers import prompt_resolution

log = logging.getLogger(__name__)

DEFAULT_KEY = "default:v1"
PRODUCTION = "production"

DEFAULT_TEMPLATE = """You are a patient, Socratic tutor helping a university student \
study "{{title}}".

About this material: {{description}}
{{details}}

How to tutor:
- Keep every turn short: two to five sentences, then hand the turn back to the student.
- Teach by asking. Lead the student to the idea with one guiding question at a time \
instead of lecturing; explain directly only after they have tried.
- Check understanding often with a multiple-choice question (options A to D, exactly \
one correct). When the student answers one, say whether it is right, explain why in \
one or two sentences, and move on to the next idea.
- Build on what the student says; correct misconceptions kindly and precisely.
- Stay on this material. If the student drifts, connect the question back to it.
- Never invent facts about the course; say so when you are unsure.

When the student writes "Start.", greet them in one sentence, say what this material \
covers, and ask your first multiple-choice question."""


@dataclass(frozen=True)
class TutorPrompt:
    key: str
    system: str


def render(template: str, variables: dict[str, Any]) -> str:
    """``{{name}}`` replaced by its value; unknown variables become empty."""
    return prompt_resolution.substitute(template, variables, unknown="empty")[0]


def content_variables(item: ContentItem) -> dict[str, Any]:
    """The content's fields as prompt variables: title, description and data_json's keys."""
    data = item.data_json or {}
    details = "\n".join(f"{name}: {prompt_resolution.variable_text(value)}"
                        for name, value in sorted(data.items()))
    return {**data, "title": item.title, "description": item.description or "",
            "details": details}


def _version_key(prompt_id: int, resolved_text: str) -> str:
    """The root version and a digest of the resolved text: a new version of any
    dependency the prompt pulls in by label changes the key too."""
    digest = hashlib.sha256(resolved_text.encode()).hexdigest()[:16]
    return f"prompt:{prompt_id}:{digest}"


async def tutor_prompt(session: AsyncSession, content_item: ContentItem) -> TutorPrompt:
    """The tutor's prompt version key and system prompt rendered for ``content_item``."""
    variables = content_variables(content_item)
    name = (await session.execute(select(ContentType.prompt_name).where(
        ContentType.id == content_item.content_type_id))).scalar_one_or_none()
    if name:
        row = await prompt_resolution.find(
            session, prompt_resolution.Reference(name, None, PRODUCTION))
        if row is not None:
            try:
                resolved = await prompt_resolution.resolve(session, text=row.prompt, root=row)
            except DomainError as exc:
                log.warning("tutor prompt %r v%s does not resolve (%s); using the "
                            "built-in one", name, row.version, exc.message)
            else:
                return TutorPrompt(key=_version_key(row.id, resolved.text),
                                   system=render(resolved.text, variables).strip())
    return TutorPrompt(key=DEFAULT_KEY, system=render(DEFAULT_TEMPLATE, variables).strip())
