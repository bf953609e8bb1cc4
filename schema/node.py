"""The ``node`` and ``nodes`` fields: an ID that cannot name an object answers null.

Relay's own fields convert their argument before resolving, so an ID that is not base64 of
``Type:id`` (``""``, ``"nope"``, ``"Zm9v"``), or names a type that is not a Node, was an
error. Here every ID goes through ``decode_node_id``; one that names nothing is no node,
like an ID whose row does not exist.
"""

from __future__ import annotations

import inspect
from collections import defaultdict
from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.relay.types import GlobalIDValueError
from strawberry.types import Info
from strawberry.types.cast import cast as strawberry_cast


def decode_node_id(info: Info, value: str) -> tuple[type[relay.Node], str] | None:
    """The Node type and node id a global ID names; None when it names no Node type."""
    try:
        global_id = relay.GlobalID.from_id(value)
        return global_id.resolve_type(info), global_id.node_id
    except GlobalIDValueError:
        return None


async def _resolved(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Fetch any object by its global ID.")
    async def node(self, info: Info, id: Annotated[
            strawberry.ID, strawberry.argument(description="The ID of the object.")],
    ) -> relay.Node | None:
        decoded = decode_node_id(info, id)
        if decoded is None:
            return None
        node_type, node_id = decoded
        found = await _resolved(node_type.resolve_node(node_id, info=info, required=False))
        return None if found is None else strawberry_cast(node_type, found)

    @strawberry.field(description="Fetch objects by global IDs.")
    async def nodes(self, info: Info, ids: Annotated[
            list[strawberry.ID], strawberry.argument(description="The IDs of the objects.")],
    ) -> list[relay.Node | None]:
        wanted: defaultdict[type[relay.Node], list[tuple[int, str]]] = defaultdict(list)
        for index, value in enumerate(ids):
            decoded = decode_node_id(info, value)
            if decoded is not None:
                wanted[decoded[0]].append((index, decoded[1]))
        found: list[Any] = [None] * len(ids)
        for node_type, entries in wanted.items():
            rows = await _resolved(node_type.resolve_nodes(
                info=info, node_ids=[node_id for _, node_id in entries], required=False))
            for (index, _), row in zip(entries, list(rows), strict=True):
                found[index] = None if row is None else strawberry_cast(node_type, row)
        return found
