"""The tutor's system prompt for a content item, and the key of its version.

``tutor_prompt`` is the one place the chat asks for its prompt. The key it
returns is part of the response cache's key, so a new version of the prompt,
or of any prompt it includes, starts a new cache tree. The production version
of the prompt named by the content type's ``prompt_name`` is used, with its
dependencies resolved; without one (no name, no production version, or a
prompt whose dependencies do not resolve, which is logged) the built-in
template is. The chat reads that version with the rest of a turn, in one
statement, and hands it here.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from core.context import Context
from core.errors import DomainError
from models.course import ContentItem
from models.prompts import Prompt
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


async def tutor_prompt(ctx: Context, content_item: ContentItem,
                       production: Prompt | None) -> TutorPrompt:
    """The tutor's prompt version key and system prompt rendered for ``content_item``.

    ``production`` is the production version of its content type's prompt (None without
    one), read with the turn's other reads; its dependencies, when it has any, are read
    here."""
    variables = content_variables(content_item)
    if production is not None:
        try:
            if prompt_resolution.parse(production.prompt):
                async with ctx.db.read() as session:
                    text = (await prompt_resolution.resolve(
                        session, text=production.prompt, root=production)).text
            else:
                text = production.prompt
        except DomainError as exc:
            log.warning("tutor prompt %r v%s does not resolve (%s); using the "
                        "built-in one", production.name, production.version, exc.message)
        else:
            return TutorPrompt(key=_version_key(production.id, text),
                               system=render(text, variables).strip())
    return TutorPrompt(key=DEFAULT_KEY, system=render(DEFAULT_TEMPLATE, variables).strip())
