"""The live rooms with members on this process: one subscription per room, however
many of its members are connected here.

Each event of a room is rendered and encoded once (``core.fanout.Frame``), when its
first recipient is found, and written to the socket of every member ``sees`` lets
see it, in one synchronous loop: no task, JSON encoding or database work per socket.
A member joins before its socket is accepted, so nothing said in between is missed.
"""

from __future__ import annotations

import asyncio
import logging
import weakref

import orjson

from core.context import Context
from core.fanout import Frame, Outlet
from core.pubsub import Broker, Subscription
from resolvers import codelab_room
from resolvers.codelab_room import Member
from rest_compat.codelabs import live_shapes

log = logging.getLogger(__name__)


class Room:
    """One codelab's members on this process and the task telling them its events."""

    def __init__(self, codelab_id: int, subscription: Subscription) -> None:
        self.codelab_id = codelab_id
        self.members: dict[Outlet, Member] = {}
        self._subscription = subscription
        self._task = asyncio.create_task(self._pump(), name=f"codelab-room-{codelab_id}")

    async def _pump(self) -> None:
        async for event in self._subscription:
            try:
                self.tell(event)
            except Exception:
                log.exception("live room %s: could not tell an event", self.codelab_id)

    def tell(self, event: dict) -> None:
        """Write ``event`` to every member here who may see it, encoded once."""
        frame = None
        for outlet, member in self.members.items():
            if codelab_room.sees(member, event):
                if frame is None:
                    frame = Frame(orjson.dumps(live_shapes.room_event(event)))
                outlet.write(frame)

    def close(self) -> None:
        self._subscription.close()
        self._task.cancel()


class Rooms:
    """The rooms of one broker (one app instance) with members connected to it."""

    def __init__(self) -> None:
        self._rooms: dict[int, Room] = {}

    def join(self, ctx: Context, member: Member, outlet: Outlet) -> None:
        room = self._rooms.get(member.codelab_id)
        if room is None:
            room = self._rooms[member.codelab_id] = Room(member.codelab_id, (
                codelab_room.all_events(ctx, codelab_id=member.codelab_id)))
        room.members[outlet] = member

    def leave(self, member: Member, outlet: Outlet) -> None:
        room = self._rooms.get(member.codelab_id)
        if room is None:
            return
        room.members.pop(outlet, None)
        if not room.members:
            del self._rooms[member.codelab_id]
            room.close()

    def members(self, codelab_id: int) -> dict[Outlet, Member]:
        """The sockets in the codelab's room on this instance, and whose they are."""
        room = self._rooms.get(codelab_id)
        return dict(room.members) if room else {}

    def count(self, codelab_id: int) -> int:
        """How many sockets are in the codelab's room on this instance."""
        room = self._rooms.get(codelab_id)
        return len(room.members) if room else 0


_ROOMS: weakref.WeakKeyDictionary[Broker, Rooms] = weakref.WeakKeyDictionary()


def rooms_of(broker: Broker) -> Rooms:
    """The live rooms of the app instance whose broker is ``broker``."""
    found = _ROOMS.get(broker)
    if found is None:
        found = _ROOMS[broker] = Rooms()
    return found


def rooms(ctx: Context) -> Rooms:
    """This instance's live rooms."""
    return rooms_of(ctx.broker)
