"""Langfuse-style prompt management: versions per name, labels, tags, dependencies.

Every version of a name is a row; ``version`` counts up per name and the
newest version always carries ``latest``. A label sits on at most one
version of a name: writes to a name take a transaction-scoped advisory lock
on it, so two concurrent creates or label moves cannot both win. Reading
and writing need INSTRUCTOR (or PLATFORM_ADMIN); protected labels
(``production``) and deletes need PLATFORM_ADMIN.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.viewer import ROLE_INSTRUCTOR, ROLE_PLATFORM_ADMIN
from core.context import Context
from core.db import xact_lock
from core.errors import Conflict, NotFound, Validation
from models.prompts import PROMPT_TYPES, Prompt, PromptDependency
from models.user import User
from resolvers import prompt_labels, prompt_resolution
from resolvers.prompt_resolution import DEFAULT_LABEL, Reference, Resolution

LATEST = "latest"
PROTECTED_LABELS = frozenset({"production"})
NAME_MAX, LABEL_MAX = 200, 100
LABEL = re.compile(r"^[A-Za-z0-9_.\-]+$")
# Fixed paths under /prompts/ on the REST face; a prompt by these names could not be fetched.
RESERVED_NAMES = frozenset({"labels", "names", "link-options", "preview"})


@dataclass(frozen=True)
class PromptView:
    """A prompt version with its dependencies and its fully resolved text."""

    prompt: Prompt
    creator_number: int | None
    dependencies: list[Reference]
    resolution: Resolution


@dataclass(frozen=True)
class PromptGroup:
    """All versions of one name, aggregated."""

    name: str
    type: str
    versions: list[int]
    labels: list[str]
    tags: list[str]
    last_updated_at: datetime
    latest_id: int


@dataclass(frozen=True)
class GroupPage:
    groups: list[PromptGroup]
    total: int


@dataclass(frozen=True)
class VersionRow:
    prompt: Prompt
    creator_number: int | None
    creator_name: str | None


@dataclass(frozen=True)
class VersionPage:
    rows: list[VersionRow]
    total: int


def _require_reader(ctx: Context) -> None:
    ctx.viewer.require_role(ROLE_INSTRUCTOR)


def may_read(viewer) -> bool:
    """Whether ``_require_reader`` lets the viewer read prompts (instructors and admins)."""
    return viewer.user_id is not None and (viewer.has_role(ROLE_INSTRUCTOR) or viewer.is_admin)


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise Validation(f"Prompt name must be 1 to {NAME_MAX} characters")
    if "|" in name or "@@@" in name or "=" in name:
        raise Validation("Prompt name cannot contain '|', '=' or '@@@'")
    if name.lower() in RESERVED_NAMES:
        raise Validation(f"'{name}' is a reserved name")
    return name


def _check_labels(ctx: Context, labels: list[str]) -> list[str]:
    cleaned = list(dict.fromkeys(label.strip() for label in labels))
    for label in cleaned:
        if label == LATEST:
            raise Validation("The 'latest' label is managed automatically and cannot be set")
        if not label or len(label) > LABEL_MAX or not LABEL.match(label):
            raise Validation(f"Invalid label '{label}': use letters, digits, '_', '-' or '.'")
    _check_protected(ctx, cleaned)
    return cleaned


def _check_protected(ctx: Context, labels: list[str] | set[str]) -> None:
    protected = sorted(PROTECTED_LABELS.intersection(labels))
    if protected:
        ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)


def _check_tags(tags: list[str]) -> list[str]:
    cleaned = list(dict.fromkeys(tag.strip() for tag in tags))
    if any(not tag or len(tag) > LABEL_MAX for tag in cleaned):
        raise Validation(f"Tags must be 1 to {LABEL_MAX} characters")
    return cleaned


async def _lock(session: AsyncSession, name: str) -> None:
    await xact_lock(session, f"prompts:{name}")


async def _take_labels(session: AsyncSession, name: str, labels: list[str],
                       keep_id: int | None = None) -> None:
    """Remove ``labels`` from every version of ``name`` except ``keep_id``."""
    for label in labels:
        query = (update(Prompt).where(Prompt.name == name, Prompt.labels.contains([label]))
                 .values(labels=func.array_remove(Prompt.labels, label)))
        if keep_id is not None:
            query = query.where(Prompt.id != keep_id)
        await session.execute(query)


async def _view(session: AsyncSession, prompt: Prompt) -> PromptView:
    refs = [Reference(d.child_name, d.child_version, d.child_label) for d in (
        await session.execute(select(PromptDependency).where(
            PromptDependency.parent_id == prompt.id).order_by(PromptDependency.id))).scalars()]
    number = (await session.execute(select(User.number).where(
        User.id == prompt.created_by))).scalar_one_or_none() if prompt.created_by else None
    resolution = await prompt_resolution.resolve(session, text=prompt.prompt, root=prompt)
    return PromptView(prompt=prompt, creator_number=number, dependencies=refs,
                      resolution=resolution)


async def create(ctx: Context, *, name: str, prompt: str, type: str = "text",
                 config: dict[str, Any] | None = None, labels: list[str] | None = None,
                 tags: list[str] | None = None,
                 commit_message: str | None = None) -> PromptView:
    """A new version of ``name`` (version = highest + 1) carrying ``latest`` and ``labels``.

    ``tags`` (when given) replace the tags of every version of the name; when
    omitted the new version inherits the name's tags. Dependencies must resolve.
    """
    _require_reader(ctx)
    name = _check_name(name)
    if type not in PROMPT_TYPES:
        raise Validation(f"Prompt type must be one of: {', '.join(PROMPT_TYPES)}")
    labels = _check_labels(ctx, labels or [])
    refs = prompt_resolution.parse(prompt)
    async with ctx.db.transaction() as session:
        await _lock(session, name)
        current = (await session.execute(select(Prompt).where(Prompt.name == name).order_by(
            Prompt.version.desc()).limit(1))).scalar_one_or_none()
        if tags is None:
            tags = list(current.tags) if current else []
        tags = _check_tags(tags)
        before = await prompt_labels.holders(session, name)
        await _take_labels(session, name, [*labels, LATEST])
        if current is not None:
            await session.execute(update(Prompt).where(Prompt.name == name).values(tags=tags))
        row = Prompt(name=name, version=(current.version + 1) if current else 1, type=type,
                     prompt=prompt, config=config or {}, labels=[*labels, LATEST], tags=tags,
                     commit_message=commit_message, created_by=ctx.viewer.user_id)
        session.add(row)
        await session.flush()
        session.add_all(PromptDependency(parent_id=row.id, child_name=r.child_name,
                                         child_version=r.child_version,
                                         child_label=r.child_label) for r in refs)
        await prompt_labels.record_changes(session, name, before, actor=ctx.viewer.user_id)
        await session.flush()
        await session.refresh(row)
        return await _view(session, row)


async def get(ctx: Context, *, name: str, version: int | None = None,
              label: str | None = None) -> PromptView:
    """One version by number or label (``production`` by default), resolved."""
    _require_reader(ctx)
    if version is not None and label is not None:
        raise Validation("Cannot specify both version and label")
    ref = Reference(name, version, None if version is not None else (label or DEFAULT_LABEL))
    async with ctx.db.session() as session:
        row = await prompt_resolution.find(session, ref)
        if row is None:
            raise NotFound(f"Prompt not found: {ref.describe()}")
        return await _view(session, row)


def _literal_pattern(text: str) -> str:
    """``text`` matched as written inside a LIKE pattern: its ``%``, ``_`` and the
    escape character are not wildcards."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _group_filters(name: str | None, label: str | None, tag: str | None) -> list:
    filters = []
    if name:
        filters.append(Prompt.name.ilike(f"%{_literal_pattern(name)}%", escape="\\"))
    if label:
        filters.append(Prompt.labels.contains([label]))
    if tag:
        filters.append(Prompt.tags.contains([tag]))
    return filters


async def get_groups(ctx: Context, *, name: str | None = None, label: str | None = None,
                     tag: str | None = None, offset: int = 0,
                     limit: int | None = 20) -> GroupPage:
    """Prompt names matching the filters (a name matches when any version does), by name."""
    _require_reader(ctx)
    matching = select(Prompt.name).where(*_group_filters(name, label, tag)).distinct()
    async with ctx.db.session() as session:
        total = (await session.execute(
            select(func.count()).select_from(matching.subquery()))).scalar_one()
        names_query = matching.order_by(Prompt.name).offset(offset)
        if limit is not None:
            names_query = names_query.limit(limit)
        names = list((await session.execute(names_query)).scalars())
        rows = list((await session.execute(select(Prompt).where(Prompt.name.in_(names))
                                           .order_by(Prompt.name, Prompt.version))).scalars())
    by_name: dict[str, list[Prompt]] = {}
    for row in rows:
        by_name.setdefault(row.name, []).append(row)
    return GroupPage(groups=[_group(by_name[n]) for n in names if n in by_name], total=total)


def _group(versions: list[Prompt]) -> PromptGroup:
    newest = versions[-1]
    labels: dict[str, None] = {}
    for row in reversed(versions):
        labels.update(dict.fromkeys(row.labels))
    return PromptGroup(name=newest.name, type=newest.type, versions=[v.version for v in versions],
                       labels=list(labels), tags=list(newest.tags),
                       last_updated_at=max(v.updated_at for v in versions),
                       latest_id=newest.id)


async def get_versions(ctx: Context, *, name: str, offset: int = 0,
                       limit: int = 20) -> VersionPage:
    """Every version of ``name``, newest first, with its creator."""
    _require_reader(ctx)
    async with ctx.db.session() as session:
        total = (await session.execute(select(func.count()).where(
            Prompt.name == name))).scalar_one()
        if not total:
            raise NotFound(f"Prompt not found: '{name}'")
        rows = (await session.execute(
            select(Prompt, User.number, User.display_name)
            .outerjoin(User, User.id == Prompt.created_by).where(Prompt.name == name)
            .order_by(Prompt.version.desc()).offset(offset).limit(limit))).all()
    return VersionPage(rows=[VersionRow(p, n, d) for p, n, d in rows], total=total)


async def set_labels(ctx: Context, *, name: str, version: int, labels: list[str]) -> PromptView:
    """Replace a version's labels (``latest`` stays where it is); each moves off other versions.

    Adding or removing a protected label needs PLATFORM_ADMIN. A label that other
    prompts depend on cannot be removed (409): it may only move to another version.
    """
    _require_reader(ctx)
    wanted = _check_labels(ctx, labels)
    async with ctx.db.transaction() as session:
        await _lock(session, name)
        row = (await session.execute(select(Prompt).where(
            Prompt.name == name, Prompt.version == version))).scalar_one_or_none()
        if row is None:
            raise NotFound(f"Prompt not found: '{name}' version {version}")
        removed = sorted(set(row.labels) - set(wanted) - {LATEST})
        _check_protected(ctx, set(removed))
        dependents = await _dependents(session, name, labels=removed) if removed else []
        if dependents:
            raise Conflict(f"Label {', '.join(repr(x) for x in removed)} of prompt '{name}' "
                           "cannot be removed: other prompts depend on it ("
                           + ", ".join(f"'{d}'" for d in dependents) + ")")
        before = await prompt_labels.holders(session, name)
        await _take_labels(session, name, wanted, keep_id=row.id)
        row.labels = [*wanted, *([LATEST] if LATEST in row.labels else [])]
        await prompt_labels.record_changes(session, name, before, actor=ctx.viewer.user_id)
        await session.flush()
        await session.refresh(row)
        return await _view(session, row)


async def update_tags(ctx: Context, *, name: str, tags: list[str]) -> list[str]:
    """Set the tags of every version of ``name``; the tags as stored."""
    _require_reader(ctx)
    tags = _check_tags(tags)
    async with ctx.db.transaction() as session:
        # A new version copies the tags: take the name's lock so neither write is lost.
        await _lock(session, name)
        result = await session.execute(update(Prompt).where(Prompt.name == name)
                                       .values(tags=tags))
        if not result.rowcount:
            raise NotFound(f"Prompt not found: '{name}'")
    return tags


async def _dependents(session: AsyncSession, name: str, *, version: int | None = None,
                      labels: list[str] | None = None) -> list[str]:
    """Names of other prompts whose dependencies point at ``name``: at all, or (given
    ``version`` and/or ``labels``) at that version or those labels."""
    query = (select(Prompt.name).join(PromptDependency, PromptDependency.parent_id == Prompt.id)
             .where(PromptDependency.child_name == name, Prompt.name != name).distinct())
    if version is not None or labels is not None:
        pinned = [PromptDependency.child_version == version] if version is not None else []
        query = query.where(or_(*pinned, PromptDependency.child_label.in_(labels or [])))
    return sorted((await session.execute(query)).scalars())


def _blocked(what: str, dependents: list[str]) -> Conflict:
    return Conflict(f"{what} cannot be deleted: other prompts depend on it ("
                    + ", ".join(f"'{d}'" for d in dependents) + ")")


async def delete_all(ctx: Context, *, name: str) -> None:
    """Delete every version of ``name`` unless another prompt depends on it (admin)."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    async with ctx.db.transaction() as session:
        await _lock(session, name)
        if not (await session.execute(select(func.count()).where(
                Prompt.name == name))).scalar_one():
            raise NotFound(f"Prompt not found: '{name}'")
        dependents = await _dependents(session, name)
        if dependents:
            raise _blocked(f"Prompt '{name}'", dependents)
        before = await prompt_labels.holders(session, name)
        await session.execute(delete(Prompt).where(Prompt.name == name))
        await prompt_labels.record_changes(session, name, before, actor=ctx.viewer.user_id)


async def delete_version(ctx: Context, *, name: str, version: int) -> None:
    """Delete one version (admin); ``latest`` moves to the highest remaining version.

    Blocked while another prompt pins this version or one of its labels
    (other than ``latest``), or depends on the name at all when it is the last version.
    """
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    async with ctx.db.transaction() as session:
        await _lock(session, name)
        rows = list((await session.execute(select(Prompt).where(Prompt.name == name)
                                           .order_by(Prompt.version.desc()))).scalars())
        row = next((r for r in rows if r.version == version), None)
        if row is None:
            raise NotFound(f"Prompt not found: '{name}' version {version}")
        remaining = [r for r in rows if r.id != row.id]
        labels = [label for label in row.labels if label != LATEST]
        dependents = (await _dependents(session, name, version=version, labels=labels)
                      if remaining else await _dependents(session, name))
        if dependents:
            raise _blocked(f"Prompt '{name}' version {version}", dependents)
        before = await prompt_labels.holders(session, name)
        await session.delete(row)
        await session.flush()
        if LATEST in row.labels and remaining:
            remaining[0].labels = [*remaining[0].labels, LATEST]
        await prompt_labels.record_changes(session, name, before, actor=ctx.viewer.user_id)


async def remove_label(ctx: Context, *, name: str, label: str) -> int:
    """Take ``label`` off the name (``latest`` cannot be removed; a protected label needs
    PLATFORM_ADMIN; a label other prompts depend on is 409); the version it was on."""
    _require_reader(ctx)
    if label == LATEST:
        raise Validation("The 'latest' label is managed automatically and cannot be removed")
    _check_protected(ctx, {label})
    async with ctx.db.transaction() as session:
        await _lock(session, name)
        before = await prompt_labels.holders(session, name)
        if label not in before:
            if not (await session.execute(select(func.count()).where(
                    Prompt.name == name))).scalar_one():
                raise NotFound(f"Prompt not found: '{name}'")
            raise NotFound(f"Label '{label}' not found on prompt '{name}'")
        dependents = await _dependents(session, name, labels=[label])
        if dependents:
            raise Conflict(f"Label '{label}' of prompt '{name}' cannot be removed: other "
                           "prompts depend on it (" + ", ".join(f"'{d}'" for d in dependents)
                           + ")")
        await _take_labels(session, name, [label])
        await prompt_labels.record_changes(session, name, before, actor=ctx.viewer.user_id)
    return before[label]


async def get_labels(ctx: Context) -> list[str]:
    """Every label in use, ``latest`` and ``production`` first, then alphabetically."""
    _require_reader(ctx)
    async with ctx.db.session() as session:
        labels = set((await session.execute(select(func.unnest(Prompt.labels))
                                            .distinct())).scalars())
    first = [label for label in (DEFAULT_LABEL, LATEST) if label in labels]
    return first + sorted(labels - set(first))


async def preview(ctx: Context, *, prompt_text: str,
                  variables: dict[str, Any]) -> tuple[str, list[str], list[Reference]]:
    """Resolve the dependencies of unsaved text and fill its variables."""
    _require_reader(ctx)
    refs = prompt_resolution.parse(prompt_text)
    async with ctx.db.session() as session:
        resolution = await prompt_resolution.resolve(session, text=prompt_text, root=None)
    rendered, used = prompt_resolution.substitute(resolution.text, variables)
    return rendered, used, refs


async def get_many(ctx: Context, *, ids: list[int | None]) -> list[Prompt | None]:
    """Prompt versions by id in the order asked (instructors and admins)."""
    _require_reader(ctx)
    wanted = [i for i in ids if i is not None]
    async with ctx.db.session() as session:
        rows = (await session.execute(select(Prompt).where(
            Prompt.id.in_(wanted)))).scalars() if wanted else []
        found = {r.id: r for r in rows}
    return [found.get(i) if i is not None else None for i in ids]
