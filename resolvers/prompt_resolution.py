"""Prompt dependencies: parse ``@@@langfusePrompt:...@@@`` tags, inline them, fill variables.

A tag names another prompt and either a label or a version:
``@@@langfusePrompt:name=General Protocol|label=production@@@`` or
``@@@langfusePrompt:name=General Protocol|version=2@@@``; with neither, the
``production`` label is meant. Resolution walks the references depth first
with the chain of prompts being inlined, so a cycle is reported by name
(``Prompt dependency cycle: A -> B -> A``; a chain may visit two versions of
one name, but never one version twice) and nesting deeper than
``MAX_DEPTH`` is refused; nothing recurses without bound.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound, Validation
from models.prompts import Prompt

DEFAULT_LABEL = "production"
MAX_DEPTH = 10
TAG = re.compile(r"@@@langfusePrompt:(.*?)@@@", re.DOTALL)
VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


@dataclass(frozen=True)
class Reference:
    """One parsed dependency tag."""

    child_name: str
    child_version: int | None
    child_label: str | None

    def describe(self) -> str:
        if self.child_version is not None:
            return f"'{self.child_name}' version {self.child_version}"
        return f"'{self.child_name}' with label '{self.child_label}'"


@dataclass
class Resolution:
    """The text with every dependency inlined, and which prompt pulled in which."""

    text: str
    root: dict[str, Any]
    dependencies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def graph(self) -> dict[str, Any]:
        return {"root": self.root, "dependencies": self.dependencies}


def _quoted(body: str) -> str:
    # Quoted, so the message keeps only a prefix of a long one (core.input_bounds.shorten).
    return repr(f"@@@langfusePrompt:{body}@@@")


def _reference(body: str) -> Reference:
    params: dict[str, str] = {}
    for part in body.split("|"):
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise Validation(f"Invalid prompt reference: {_quoted(body)}")
        params[key.strip()] = value.strip()
    unknown = set(params) - {"name", "version", "label"}
    if "name" not in params or unknown:
        raise Validation(f"Invalid prompt reference: {_quoted(body)}")
    if "version" in params and "label" in params:
        raise Validation(f"Invalid prompt reference (both version and label): "
                         f"{_quoted(body)}")
    if "version" in params:
        # ASCII digits that fit the version column ("²".isdigit() is true, too).
        if not re.fullmatch(r"[0-9]{1,9}", params["version"]):
            raise Validation(f"Invalid prompt reference (version must be an integer): "
                             f"{_quoted(body)}")
        return Reference(params["name"], int(params["version"]), None)
    return Reference(params["name"], None, params.get("label", DEFAULT_LABEL))


def parse(text: str) -> list[Reference]:
    """The distinct references in ``text``, in order of first appearance."""
    seen: dict[Reference, None] = {}
    for match in TAG.finditer(text):
        seen.setdefault(_reference(match.group(1)), None)
    return list(seen)


def render_reference(ref: Reference) -> dict[str, Any]:
    return {"child_name": ref.child_name, "child_version": ref.child_version,
            "child_label": ref.child_label}


async def find(session: AsyncSession, ref: Reference) -> Prompt | None:
    """The prompt version a reference points at, or None."""
    query = select(Prompt).where(Prompt.name == ref.child_name)
    if ref.child_version is not None:
        query = query.where(Prompt.version == ref.child_version)
    else:
        query = query.where(Prompt.labels.contains([ref.child_label]))
    return (await session.execute(query)).scalars().first()


def _node(prompt: Prompt) -> dict[str, Any]:
    return {"name": prompt.name, "version": prompt.version, "id": prompt.id}


async def resolve(session: AsyncSession, *, text: str, root: Prompt | None,
                  root_name: str = "(preview)") -> Resolution:
    """Inline every dependency of ``text`` (the text of ``root`` when it is stored)."""
    resolution = Resolution(text="", root=_node(root) if root else
                            {"name": root_name, "version": None, "id": None})
    cache: dict[Reference, Prompt] = {}

    async def expand(body: str, parent: Prompt | None, chain: list[tuple[int | None, str]]
                     ) -> str:
        names = [name for _, name in chain]
        if len(chain) > MAX_DEPTH:
            raise Validation(f"Prompt dependency depth exceeds {MAX_DEPTH}: "
                             + " -> ".join(names))
        inlined: dict[Reference, str] = {}
        for ref in parse(body):
            child = cache.get(ref) or await find(session, ref)
            if child is None:
                raise NotFound(f"Prompt dependency not found: {ref.describe()} "
                               f"(referenced by '{names[-1]}')")
            cache[ref] = child
            ids = [ident for ident, _ in chain]
            if child.id in ids:
                raise Validation("Prompt dependency cycle: "
                                 + " -> ".join([*names[ids.index(child.id):], child.name]))
            edges = resolution.dependencies.setdefault(str(parent.id) if parent else "root", [])
            if _node(child) not in edges:
                edges.append(_node(child))
            inlined[ref] = await expand(child.prompt, child, [*chain, (child.id, child.name)])
        return TAG.sub(lambda m: inlined[_reference(m.group(1))], body)

    resolution.text = await expand(text, root, [(root.id, root.name) if root
                                                else (None, root_name)])
    return resolution


def variable_text(value: Any) -> str:
    """A variable's value as prompt text: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def substitute(text: str, variables: dict[str, Any], *,
               unknown: Literal["keep", "empty"] = "keep") -> tuple[str, list[str]]:
    """``{{name}}`` replaced by its value (``variable_text``); an unknown variable stays
    as written (``unknown="keep"``, the preview) or becomes empty (``"empty"``, the
    tutor's system prompt, which must not show a placeholder to the model).

    Returns the text and the variables actually used, in order of first use.
    """
    used: dict[str, None] = {}

    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name not in variables:
            return match.group(0) if unknown == "keep" else ""
        used.setdefault(name, None)
        return variable_text(variables[name])

    return VARIABLE.sub(fill, text), list(used)
