"""The course platform's /api/v1 prompts endpoints (Langfuse-style prompt management).

Choices where the reference is silent (what its FastAPI backend does):
- Everything needs INSTRUCTOR or PLATFORM_ADMIN (students get 403); deletes
  and adding or removing the protected ``production`` label need
  PLATFORM_ADMIN (403 ``{"detail": "You do not have permission to do this"}``).
- ``PromptResponse`` (create, get, set labels) is ``{id, name, version, type,
  prompt, config, labels, tags, commit_message, created_by, created_at,
  updated_at, dependencies, resolved_prompt, resolution_graph}``;
  ``created_by`` is the creator's integer id as a string (null once the user
  is gone). ``resolution_graph`` is Langfuse's: ``{"root": {name, version,
  id}, "dependencies": {"<parent id>": [{name, version, id}, ...]}}`` (the
  key is ``"root"`` for unsaved preview text), ``"dependencies": {}``
  when there are none.
- ``type`` is ``text`` (default) or ``chat``; ``prompt`` is always a string
  (a chat prompt keeps its messages serialized by the client).
- Create answers 201; ``tags`` replace the tags of every version of the name,
  and when omitted the new version inherits them. ``labels`` containing
  ``latest`` is a 400; labels are letters, digits, ``_ - .``. Names
  containing ``|``, ``=`` or ``@@@`` (they would break reference tags) and
  the names of the fixed paths (``labels``, ``names``, ``link-options``,
  ``preview``) are 400.
- A dependency that does not resolve is 404 ``{"detail": "Prompt dependency
  not found: 'X' with label 'production' (referenced by 'Y')"}``; a cycle is
  400 ``{"detail": "Prompt dependency cycle: A -> B -> A"}`` (a version
  reaching itself again; a new version referring to its own name's
  ``latest`` is one); nesting deeper than 10 is
  400; a malformed tag is 400 ``Invalid prompt reference: ...``. Create and
  preview check this before anything is stored.
- ``GET /prompts/{name}`` with both ``version`` and ``label`` is 400
  ``{"detail": "Cannot specify both version and label"}``; an unknown
  name/label/version is 404 ``{"detail": "Prompt not found: ..."}``.
- Lists: ``page`` ≥ 1, 1 ≤ ``page_size`` ≤ 100, otherwise 422. ``GET
  /prompts/`` is ordered by name; a name matches a filter when any of its
  versions does; ``labels`` aggregate newest version first.
  ``/versions`` is newest first with ``{"versions", "total"}``; an unknown
  name is 404.
- ``/labels`` lists ``production`` and ``latest`` first, then the rest
  alphabetically; ``/names`` and ``/link-options`` are ordered by name and
  ``id`` in ``/names`` is the id of the newest version.
- Set labels answers 200 with the version's PromptResponse; ``latest`` stays
  where it is. Removing a label that other prompts reference is 409 ``{"detail":
  "Label 'X' of prompt 'Y' cannot be removed: other prompts depend on it ('Z')"}``
  (moving it to another version is fine). Update tags answers ``{"success": true}``.
- Deletes answer 204. Deleting a name is 409 ``{"detail": "Prompt 'X' cannot
  be deleted: other prompts depend on it ('Y')"}`` while another prompt
  references it; deleting a version is 409 while another prompt pins that
  version or one of its labels (any reference, when it is the last version).
- ``DELETE /prompts/{name}/labels/{label}`` (learngraph's own) takes a label off
  the name: 204; ``latest`` is 400; ``production`` needs PLATFORM_ADMIN (403); a
  label other prompts depend on is 409 as above; an unknown name or label is 404.
- ``GET /prompts/{name}/label-history`` (learngraph's own) lists every move of
  the name's labels newest first, ``{"history": [{label, from_version,
  to_version, changed_by, changed_at}], "total"}`` (``from_version`` null: new
  to the name; ``to_version`` null: removed; ``changed_by`` as ``created_by``),
  paged like ``/versions``, optionally of one ``label``; a name without any is
  404.
- Preview: ``{{variable}}`` placeholders without a value are left as written;
  ``variables_used`` lists the variables substituted, in order of first use.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from starlette.responses import Response

from core.input_bounds import LONG_TEXT_LENGTH
from resolvers import prompt_labels, prompts
from resolvers.prompt_resolution import render_reference
from resolvers.prompts import PromptView
from rest_compat.base import FaceRequest, JSONResponse, Route, iso
from rest_compat.returns import (
    INTEGER,
    NO_BODY,
    STRING,
    array,
    documented,
    nullable,
    obj,
)
from rest_compat.twosigma.shapes import Body, created, no_content


class PromptCreate(Body):
    name: str = Field(min_length=1, max_length=200)
    prompt: str
    type: Literal["text", "chat"] = "text"
    config: dict[str, Any] = Field(default_factory=dict)
    labels: list[str] = Field(default_factory=list)
    tags: list[str] | None = None
    commit_message: str | None = None


class LabelsUpdate(Body):
    labels: list[str]


class TagsUpdate(Body):
    tags: list[str]


class PreviewBody(Body):
    prompt_text: str
    variables: dict[str, Any] = Field(default_factory=dict)


class PageQuery(Body):
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=20, ge=1, le=100)


class ListQuery(PageQuery):
    name: str | None = None
    label: str | None = None
    tag: str | None = None


class GetQuery(Body):
    version: int | None = Field(default=None, ge=1)
    label: str | None = None


class NamePath(Body):
    prompt_name: str


class LabelPath(NamePath):
    label: str = Field(max_length=100)


class HistoryQuery(PageQuery):
    label: str | None = Field(default=None, max_length=100)


class VersionPath(NamePath):
    version: int


# A version as GET /prompts/{prompt_name} documents it, which ``render`` writes.
PROMPT = documented("twosigma", "GET", "/api/v1/prompts/{prompt_name}")
LABEL_HISTORY = obj(history=array(obj(
    label=STRING, from_version=nullable(INTEGER), to_version=nullable(INTEGER),
    changed_by=nullable(STRING), changed_at=STRING)), total=INTEGER)


def render(view: PromptView) -> dict[str, Any]:
    prompt = view.prompt
    return {"id": prompt.id, "name": prompt.name, "version": prompt.version,
            "type": prompt.type, "prompt": prompt.prompt, "config": prompt.config,
            "labels": list(prompt.labels), "tags": list(prompt.tags),
            "commit_message": prompt.commit_message,
            "created_by": str(view.creator_number) if view.creator_number is not None else None,
            "created_at": iso(prompt.created_at), "updated_at": iso(prompt.updated_at),
            "dependencies": [render_reference(r) for r in view.dependencies],
            "resolved_prompt": view.resolution.text, "resolution_graph": view.resolution.graph}


async def list_prompts(req: FaceRequest) -> Response:
    params: ListQuery = req.params
    page = await prompts.get_groups(req.ctx, name=params.name, label=params.label,
                                    tag=params.tag, offset=(params.page - 1) * params.page_size,
                                    limit=params.page_size)
    return JSONResponse({"data": [
        {"name": g.name, "type": g.type, "versions": g.versions, "labels": g.labels,
         "tags": g.tags, "last_updated_at": iso(g.last_updated_at)} for g in page.groups],
        "total": page.total, "page": params.page, "page_size": params.page_size})


async def get_prompt(req: FaceRequest) -> Response:
    params: GetQuery = req.params
    view = await prompts.get(req.ctx, name=req.path["prompt_name"], version=params.version,
                             label=params.label)
    return JSONResponse(render(view))


async def list_versions(req: FaceRequest) -> Response:
    params: PageQuery = req.params
    page = await prompts.get_versions(req.ctx, name=req.path["prompt_name"],
                                      offset=(params.page - 1) * params.page_size,
                                      limit=params.page_size)
    return JSONResponse({"versions": [
        {"id": r.prompt.id, "name": r.prompt.name, "version": r.prompt.version,
         "labels": list(r.prompt.labels), "commit_message": r.prompt.commit_message,
         "created_by": str(r.creator_number) if r.creator_number is not None else None,
         "creator": r.creator_name, "created_at": iso(r.prompt.created_at)}
        for r in page.rows], "total": page.total})


async def create_prompt(req: FaceRequest) -> Response:
    body: PromptCreate = req.body
    view = await prompts.create(req.ctx, name=body.name, prompt=body.prompt, type=body.type,
                                config=body.config, labels=body.labels, tags=body.tags,
                                commit_message=body.commit_message)
    return created(render(view))


async def set_labels(req: FaceRequest) -> Response:
    body: LabelsUpdate = req.body
    view = await prompts.set_labels(req.ctx, name=req.path["prompt_name"],
                                    version=req.path["version"], labels=body.labels)
    return JSONResponse(render(view))


async def update_tags(req: FaceRequest) -> Response:
    body: TagsUpdate = req.body
    await prompts.update_tags(req.ctx, name=req.path["prompt_name"], tags=body.tags)
    return JSONResponse({"success": True})


async def delete_prompt(req: FaceRequest) -> Response:
    await prompts.delete_all(req.ctx, name=req.path["prompt_name"])
    return no_content()


async def delete_version(req: FaceRequest) -> Response:
    await prompts.delete_version(req.ctx, name=req.path["prompt_name"],
                                 version=req.path["version"])
    return no_content()


async def remove_label(req: FaceRequest) -> Response:
    await prompts.remove_label(req.ctx, name=req.path["prompt_name"], label=req.path["label"])
    return no_content()


async def label_history(req: FaceRequest) -> Response:
    params: HistoryQuery = req.params
    page = await prompt_labels.get_history(req.ctx, name=req.path["prompt_name"],
                                           label=params.label,
                                           offset=(params.page - 1) * params.page_size,
                                           limit=params.page_size)
    return JSONResponse({"history": [
        {"label": e.event.label, "from_version": e.event.from_version,
         "to_version": e.event.to_version,
         "changed_by": str(e.actor_number) if e.actor_number is not None else None,
         "changed_at": iso(e.event.created_at)} for e in page.events], "total": page.total})


async def labels(req: FaceRequest) -> Response:
    return JSONResponse(await prompts.get_labels(req.ctx))


async def names(req: FaceRequest) -> Response:
    page = await prompts.get_groups(req.ctx, limit=None)
    return JSONResponse([{"name": g.name, "id": g.latest_id} for g in page.groups])


async def link_options(req: FaceRequest) -> Response:
    page = await prompts.get_groups(req.ctx, limit=None)
    return JSONResponse([{"name": g.name, "versions": g.versions, "labels": g.labels}
                         for g in page.groups])


async def preview(req: FaceRequest) -> Response:
    body: PreviewBody = req.body
    rendered, used, refs = await prompts.preview(req.ctx, prompt_text=body.prompt_text,
                                                 variables=body.variables)
    return JSONResponse({"rendered_prompt": rendered, "variables_used": used,
                         "dependencies_found": [render_reference(r) for r in refs]})


ROUTES: list[Route] = [
    # The fixed paths come before /prompts/{prompt_name}, which would otherwise take them.
    Route("GET", "/prompts/labels", labels, auth=True, summary="Every label in use",
          tag="prompts"),
    Route("GET", "/prompts/names", names, auth=True, summary="Every prompt name",
          tag="prompts"),
    Route("GET", "/prompts/link-options", link_options, auth=True,
          summary="Names with their versions and labels, for the reference dialog",
          tag="prompts"),
    Route("POST", "/prompts/preview", preview, auth=True, body=PreviewBody,
          summary="Resolve dependencies and fill variables of unsaved text", tag="prompts",
          max_string_length=LONG_TEXT_LENGTH),
    Route("GET", "/prompts/", list_prompts, auth=True, query=ListQuery,
          summary="Prompts grouped by name", tag="prompts"),
    Route("POST", "/prompts/", create_prompt, auth=True, body=PromptCreate,
          summary="Create a prompt version", responses={201: "The created version"},
          tag="prompts", max_string_length=LONG_TEXT_LENGTH,
          returns={201: PROMPT}),
    Route("GET", "/prompts/{prompt_name}", get_prompt, auth=True, path_params=NamePath,
          query=GetQuery, summary="A prompt by label (default production) or version, resolved",
          tag="prompts"),
    Route("DELETE", "/prompts/{prompt_name}", delete_prompt, auth=True, path_params=NamePath,
          summary="Delete every version of a prompt (platform admin)", tag="prompts",
          returns={204: NO_BODY}),
    Route("GET", "/prompts/{prompt_name}/versions", list_versions, auth=True,
          path_params=NamePath, query=PageQuery, summary="Every version of a prompt",
          tag="prompts"),
    Route("PATCH", "/prompts/{prompt_name}/tags", update_tags, auth=True, path_params=NamePath,
          body=TagsUpdate, summary="Set the tags of every version", tag="prompts"),
    Route("PATCH", "/prompts/{prompt_name}/versions/{version}/labels", set_labels, auth=True,
          path_params=VersionPath, body=LabelsUpdate, summary="Set a version's labels",
          tag="prompts",
          returns={200: PROMPT}),
    Route("DELETE", "/prompts/{prompt_name}/versions/{version}", delete_version, auth=True,
          path_params=VersionPath, summary="Delete one version (platform admin)",
          tag="prompts",
          returns={204: NO_BODY}),
    Route("DELETE", "/prompts/{prompt_name}/labels/{label}", remove_label, auth=True,
          path_params=LabelPath, summary="Take a label off a prompt (production: platform "
          "admin)", tag="prompts",
          returns={204: NO_BODY}),
    Route("GET", "/prompts/{prompt_name}/label-history", label_history, auth=True,
          path_params=NamePath, query=HistoryQuery,
          summary="Every move and removal of a prompt's labels, newest first", tag="prompts",
          returns={200: LABEL_HISTORY}),
]
