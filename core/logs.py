"""Log output: one JSON object a line by default, or plain text for people.

Every record logged while a request is being served carries that request's id, so an
error in the log can be matched with the access line and with the ``requestId`` the
client was shown. The access line's fields (see ``core.observe``) ride on the record
as ``access`` and become top-level keys of the JSON object.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from contextvars import ContextVar

import orjson

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)


class RequestIdFilter(logging.Filter):
    """Put the id of the request being served (if any) on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get()
        return True


class UvicornWebSocketLines(logging.Filter):
    """Leaves out uvicorn's lines for each WebSocket (``"WebSocket /graphql" [accepted]``,
    ``connection open``), its access log for WebSockets that its ``access_log`` setting
    does not turn off: our access line says the same, with the request id and viewer."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg
        return not (isinstance(message, str) and (
            message.startswith('%s - "WebSocket %s"')
            or message in ("connection open", "connection closed")))


class JsonFormatter(logging.Formatter):
    # The time's text up to its seconds, for the second it was made in: every record (one
    # a request, at least) would otherwise convert its time to a UTC date and time anew.
    _second = -1
    _second_text = ""

    def _time(self, created: float) -> str:
        """``created`` as ISO 8601 in UTC, to the millisecond (``…T20:05:10.922+00:00``)."""
        second = int(created)
        if second != self._second:
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        return f"{self._second_text}.{int((created - second) * 1000):03d}+00:00"

    def format(self, record: logging.LogRecord) -> str:
        return self.line(record.created, record.levelname.lower(), record.name,
                         record.getMessage(), getattr(record, "request_id", None),
                         getattr(record, "access", None),
                         self.formatException(record.exc_info) if record.exc_info else None)

    def line(self, created: float, level: str, logger: str, message: str,
             request_id: str | None, access: dict | None, exception: str | None = None
             ) -> str:
        """The JSON line of a record with these fields."""
        entry: dict = {
            "time": self._time(created),
            "level": level,
            "logger": logger,
            "message": message,
        }
        if request_id:
            entry["request_id"] = request_id
        entry.update(access or {})
        if exception:
            entry["exception"] = exception
        try:
            # One line per request on busy routes: the fast encoder; the standard one for
            # what it refuses (integers past 64 bits, keys that are not strings).
            return orjson.dumps(entry, default=str).decode()
        except TypeError:
            return json.dumps(entry, default=str)


class LineHandler(logging.StreamHandler):
    """The handler ``configure`` installs: a stream handler that also takes a line made
    without a LogRecord (``write``), for the access line, written once a request.

    The access lines of one turn of the event loop leave in one write when the turn
    ends (a write to stderr is a system call, once a request otherwise); outside an
    event loop, at once. A record's line, and a flush, write those held first, so lines
    keep their order."""

    def __init__(self, stream=None) -> None:
        super().__init__(stream)
        self._held: list[str] = []

    def write(self, line: str) -> None:
        with self.lock:  # as ``handle`` holds it around ``emit``
            self._held.append(line + self.terminator)
            if len(self._held) > 1:
                return  # the turn's write is arranged already
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        loop.call_soon(self._write_held)

    def _write_held(self) -> None:
        try:
            self.flush()
        except Exception:
            # The stream fails: its lines are lost, as a record's would be (handleError).
            with self.lock:
                self._held.clear()

    def flush(self) -> None:
        with self.lock:
            if self._held:
                held, self._held = self._held, []
                self.stream.write("".join(held))
            super().flush()

    def emit(self, record: logging.LogRecord) -> None:
        if self._held:
            self._write_held()
        super().emit(record)


def line_handler(logger: logging.Logger, level: int) -> LineHandler | None:
    """The handler a record of ``logger`` at ``level`` would reach, when it is the only
    one, ``configure``'s in the JSON format, with no filter but the request id's on
    the way: such a record is the handler's JSON line of its fields, which can be
    written without making the record. Else None."""
    if logger.filters or logger.disabled or not logger.isEnabledFor(level):
        return None
    found = None
    current: logging.Logger | None = logger
    while current is not None:
        for handler in current.handlers:
            if found is not None:
                return None
            found = handler
        current = current.parent if current.propagate else None
    if (type(found) is not LineHandler or found.level > level
            or type(found.formatter) is not JsonFormatter):
        return None
    for kept in found.filters:
        if type(kept) is not RequestIdFilter:
            return None
    return found


class TextFormatter(logging.Formatter):
    """One line for people: level, logger and message; an access line adds what its JSON
    object says beyond the method, path, status and duration (the GraphQL operation and
    its cost, the viewer), and every line served within a request ends with its id."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        access = getattr(record, "access", None)
        if access:
            if access.get("operation_type"):
                line += (f" {access['operation_type']} "
                         f"{access.get('operation_name') or 'anonymous'}")
            if access.get("cost") is not None:
                line += f" cost {access['cost']}"
            if access.get("viewer_id"):
                line += f" viewer {access['viewer_id']}"
        request_id = getattr(record, "request_id", None)
        if request_id:
            line += f" [request {request_id}]"
        return line


def configure(log_format: str = "json", level: int = logging.INFO) -> None:
    """Send every logger's records to stderr in ``log_format`` (``json`` or ``text``)."""
    handler = LineHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Neither format shows the thread, the process or the calling line: the logging
    # HOWTO's "Optimization" switches spare every record (one a request, at least) from
    # looking them up.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    logging._srcfile = None
    # uvicorn's own access lines would repeat ours without the request id and viewer.
    logging.getLogger("uvicorn.access").disabled = True
    server = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, UvicornWebSocketLines) for f in server.filters):
        server.addFilter(UvicornWebSocketLines())
