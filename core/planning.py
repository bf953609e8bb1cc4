"""Planned reads: a read-only GraphQL operation compiled into one SQL statement that
returns the JSON of ``data``, built inside PostgreSQL with ``json_build_object`` and
``json_agg`` over correlated subqueries (as PostGraphile does).

The domain declares, per GraphQL object type, the table it reads and a SQL form for
each field it can plan (``TypeForm``), and which root fields it can plan
(``register_root``), including the visibility rule of each type as a SQL expression
supplied by its resolvers. Anything else (a field without a form, a directive, an
argument the general path would refuse) makes the operation unplannable, and it
runs through the general executor, unchanged.

A plan is learned from a document the general executor has answered without an
error (so the document passed validation and every limit that does not depend on
variables), then compiled per runtime variant: the types the ``node`` ids name and
the viewer's rule variant. At request time the plan binds its parameters from the
variables; any value it cannot bind exactly as the general path would (a bad id or
cursor, a page size out of range) sends the request to the general path, which
answers with its own error.

A root field may also declare what the general path checks before it answers (a row
that must be visible, a tier the viewer must hold) and a per-minute count the request
takes (an API key's): the one statement checks the first, and only when it holds takes
the count and then the query budget's charge. When a check fails or a count or the
budget refuses, nothing is taken and the general path answers (its error, counted and
charged once there).

A field may be guarded too (``Many``'s and ``Page``'s ``guard``): a rule of its parent row
and the viewer that the general path checks before reading it (a members-only list,
refused with an error for anyone else). Where the rule does not hold for a row, the
statement fails with the ``DECLINED`` marker instead of answering; being one statement,
it then has taken nothing (no count, no budget charge), and the general path answers
the whole request with its own error. A refused request so costs one statement more;
an admitted one, none.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import orjson
from graphql import (
    BooleanValueNode,
    DirectiveNode,
    EnumValueNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    Undefined,
    VariableNode,
    is_abstract_type,
    parse,
)
from sqlalchemy import (
    JSON,
    Text,
    UniqueConstraint,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    or_,
)
from sqlalchemy import types as sqltypes
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.sql.elements import ClauseElement, ColumnClause
from sqlalchemy.sql.visitors import replacement_traverse
from strawberry.types import ExecutionResult

from core import budget, ratelimit
from core.errors import RateLimited
from core.pagination import MAX_PAGE_SIZE, decode_cursor

MAX_OBJECT_KEYS = 50  # json_build_object takes at most 100 arguments
MAX_STRING_ARGUMENT = 1024
MAX_NODES = 50  # ids of one planned ``nodes`` field (json_build_array's arguments)

# The viewer's user id in a rule (``Progress.user_id == VIEWER_ID``): bound per request as
# a parameter, so one plan serves every user with the same roles.
VIEWER_ID = bindparam("viewer_id", type_=UUID(as_uuid=True))
# The viewer's organization guest id (a ``gsk_`` key's), bound the same way.
VIEWER_GUEST_ID = bindparam("viewer_guest_id", type_=UUID(as_uuid=True))
_VIEWER_VALUES: dict[str, Callable[[Any], Any]] = {
    VIEWER_ID.key: lambda viewer: viewer.user_id,
    VIEWER_GUEST_ID.key: lambda viewer: viewer.guest_id,
}


# The public prefix of the URLs of stored files (``LocalStorage.files_url``, which the
# general path's ``url`` starts with too), bound per request from the serving instance's
# storage: a plan learned once serves any instance, and each links its own files.
FILES_URL = bindparam("files_url", type_=Text)
_INSTANCE_VALUES: dict[str, Callable[[Any], Any]] = {
    FILES_URL.key: lambda ctx: ctx.storage.files_url,
}


def stored_file_url(key: Any) -> Any:
    """A stored file's URL as a SQL expression over its storage key (a column or an
    expression; null where that is null), as ``LocalStorage.url`` writes it."""
    return cast(FILES_URL, Text).concat(key)


def viewer_params(viewer: Any) -> dict[str, Any]:
    """The values of the viewer's parameters, for the general path to execute a rule
    (``session.execute(select(...).where(rule), viewer_params(viewer))``)."""
    return {key: value(viewer) for key, value in _VIEWER_VALUES.items()}


class Unplannable(Exception):
    """The operation (or this variant of it) has no SQL form: use the general executor."""


class Decline(Exception):
    """This request's values need the general path (which reports its own error)."""


# What a guarded field's statement fails with where its guard does not hold (a cast of
# text that is no integer, bound to the row so that PostgreSQL evaluates it only there).
DECLINED = "learngraph planned read declined"


def declined(error: BaseException) -> bool:
    """Whether a planned statement failed because a guard did not hold."""
    return DECLINED in str(error)


# --- forms the domain declares ------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A field read from a column of the type's table, as JSON (text, number, boolean)."""

    name: str


@dataclass(frozen=True)
class DateTime:
    """A ``timestamptz`` column (or a SQL expression over the type's table, from the
    resolvers) as the DateTime scalar writes it (Python's isoformat in UTC: microseconds
    only when there are some)."""

    name: Any


@dataclass(frozen=True)
class GlobalId:
    """The Relay global id of the row: base64 of ``Type:id``."""

    type_name: str
    column: str = "id"


@dataclass(frozen=True)
class Json:
    """A JSON column (a list or an object), as stored."""

    name: str


@dataclass(frozen=True)
class Expression:
    """A field computed by a SQL expression over the type's table (from the resolvers),
    or a function of the viewer returning one (a field some viewers see as null)."""

    sql: Any


def python_float(column) -> Expression:
    """A ``double precision`` column as the general path writes a Float: PostgreSQL's
    shortest text of the double (the same digits as Python's), with ``.0`` on a whole
    number, which the planned answer's JSON then reads as a float (``3.0``, not ``3``)."""
    text = cast(column, Text)
    return Expression(cast(case((or_(func.strpos(text, ".") > 0, func.strpos(text, "e") > 0),
                                 text), else_=text.concat(".0")), JSON))


@dataclass(frozen=True)
class Elements:
    """A list of objects of ``type_name`` read from a JSON array (a SQL expression over
    the row, from the resolvers; anything but an array is null), in the array's order.
    That type's table is None and its fields are ``Key`` forms."""

    type_name: str
    sql: Any


@dataclass(frozen=True)
class Key:
    """A field read from one key of a JSON object (an element of ``Elements``), as
    stored."""

    name: str


@dataclass(frozen=True)
class Many:
    """A plain list of rows of ``type_name`` whose ``key`` column equals this row's
    ``parent_key``, in ``order`` (columns, ``"column DESC"``, or SQL expressions over
    that type's table from the resolvers). ``guard``, a function of the viewer returning
    a condition on this row (None: none), says where the general path reads the list
    rather than refusing (see ``DECLINED``)."""

    type_name: str
    key: str
    order: tuple[Any, ...]
    parent_key: str = "id"
    where: tuple[Any, ...] = ()
    guard: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class One:
    """One row of ``type_name`` whose ``key`` column equals this row's ``parent_key``
    (with ``order``, the first of several; ``"column DESC"`` sorts down), or null.
    ``where`` holds conditions, or functions of the viewer returning one (None: none);
    ``allowed`` says for which viewers it is planned (the general path answers the
    others)."""

    type_name: str
    parent_key: str
    key: str = "id"
    order: tuple[str, ...] = ()
    where: tuple[Any, ...] = ()
    allowed: Callable[[Any], bool] | None = None


@dataclass(frozen=True)
class Same:
    """An object of ``type_name`` read from this same row (a group of its fields), for
    the viewers ``allowed`` admits (the others get the general path's error)."""

    type_name: str
    allowed: Callable[[Any], bool] | None = None


@dataclass(frozen=True)
class Count:
    """How many rows of ``table`` have a ``key`` column equal to this row's
    ``parent_key`` (and meet the conditions of ``where``, over ``table``); with
    ``distinct``, how many distinct values other than null that column holds there."""

    table: Any
    key: str
    parent_key: str = "id"
    where: tuple[Any, ...] = ()
    distinct: str | None = None


@dataclass(frozen=True)
class Page:
    """A connection (``first``/``after`` forward, ``last``/``before`` back, ``edges {
    cursor node }``, ``nodes``, ``totalCount``: a count of the rows listed, not of the
    page) over rows of ``type_name`` in ``order``, whose cursors carry the ``order``
    columns. With a ``key``, the rows whose ``key`` column equals this row's
    ``parent_key``. ``allowed`` says which viewers may list it from the root (the
    others get the general path's error); ``guard``, as ``Many``'s, where it may be read
    from its parent row. An ``order`` column may sort down (``"column DESC"``); pages
    hold 1 to ``maximum`` rows (an argument left out takes the field's default), and
    ``flags`` are Boolean arguments of the field, each with a condition over the type's
    table that holds where the argument is true. ``arguments`` name the column each other
    argument of the field equals where it is given (null or left out: any), its value
    read by ``parse``, as ``Rows``'s; from the root, a row of ``requires`` (type, argument:
    the row of that type whose id is the argument; and a rule of its own, a function of
    the viewer returning a condition on that type's table, instead of the type's) must be
    visible by its type's rule, or the general path answers (its error). ``shown``, a
    function of the viewer returning a condition on the parent row, says where the field
    is read: elsewhere it is null (a private list, null for other viewers)."""

    type_name: str
    order: tuple[str, ...]
    key: str | None = None
    parent_key: str = "id"
    where: tuple[Any, ...] = ()
    allowed: Callable[[Any], bool] | None = None
    guard: Callable[[Any], Any] | None = None
    maximum: int = MAX_PAGE_SIZE
    flags: tuple[tuple[str, Any], ...] = ()
    arguments: tuple[tuple[str, str], ...] = ()
    parse: Callable[[Any], Any] = str
    requires: tuple[tuple[Any, ...], ...] = ()
    shown: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class Rows:
    """A root field reading rows of ``type_name`` by its arguments: ``arguments`` names the
    column each argument equals, its value read by ``parse`` (the general path's own
    reading; a value it refuses sends the request to that path, which reports it). The
    rows are the ones the type's rule and ``where`` admit; with ``order``, a plain list
    of them in that order (with ``limit``, its first ``limit`` rows: the resolver's own
    cap), else the one row or null.

    The general path may answer with an error instead (its answer then): when
    ``required`` and there is no row; when a row of ``requires`` (type, argument: the
    row of that type whose id is the argument) is not visible by its type's rule; when
    ``guard``, a function of the viewer returning a condition (or None: none), does not
    hold; and for the viewers ``allowed`` refuses. ``counts``, a function of the viewer
    returning a per-minute count to take (key, limit, window in seconds; None: none),
    counts an operation selecting the field once, as the general path does."""

    type_name: str
    arguments: tuple[tuple[str, str], ...] = ()
    parse: Callable[[Any], Any] = str
    order: tuple[str, ...] = ()
    where: tuple[Any, ...] = ()
    required: bool = False
    requires: tuple[tuple[str, str], ...] = ()
    guard: Callable[[Any], Any] | None = None
    counts: Callable[[Any], tuple[str, int, int] | None] | None = None
    allowed: Callable[[Any], bool] | None = None
    limit: int | None = None


@dataclass(frozen=True)
class NodeById:
    """The root ``node(id:)`` field: any planned type with a global id."""


@dataclass(frozen=True)
class NodesByIds:
    """The root ``nodes(ids:)`` field: a list of planned types' rows by global id."""


FieldForm = (Column | DateTime | GlobalId | Json | Expression | Elements | Key | Many | One
             | Same | Count | Page)


@dataclass
class TypeForm:
    """How one GraphQL object type reads: its table, its planned fields, and the rule
    deciding which rows the viewer may see when they are reached by id or from the root
    (an expression over the table, from the resolvers); a row reached through a visible
    parent is visible, as in the resolvers."""

    name: str
    table: Any
    fields: dict[str, FieldForm]
    rule: Callable[[Any], Any] | None = None
    # False: ``node`` leaves it to the general path (a rule not in SQL); a function: for
    # the viewers it admits (the others get the general path's error).
    by_id: bool | Callable[[Any], bool] = True


TYPES: dict[str, TypeForm] = {}
ROOTS: dict[str, NodeById | NodesByIds | Page | Rows] = {}


def register_type(form: TypeForm) -> TypeForm:
    """Declare how a GraphQL object type reads (any domain: see ``TypeForm``)."""
    TYPES[form.name] = form
    return form


def register_root(name: str, form: NodeById | NodesByIds | Page | Rows) -> None:
    """Declare a root query field the planner answers."""
    ROOTS[name] = form


# --- compiling ---------------------------------------------------------------------------

# A parameter's value from the request's variables and its context (viewer, instance).
Binder = Callable[[dict[str, Any], Any], Any]


@dataclass(frozen=True)
class Arg:
    """An argument's value: a literal, a variable, or absent (None). ``variables`` holds
    the request's values over the operation's defaults."""

    literal: Any = None
    variable: str | None = None

    def value(self, variables: dict[str, Any]) -> Any:
        return variables.get(self.variable) if self.variable else self.literal


@dataclass
class Params:
    """The statement's parameters, in order, each bound from the request's variables and
    context (its viewer, the instance serving it) at run time."""

    binders: list[Binder] = field(default_factory=list)

    def add(self, binder: Callable[[dict[str, Any]], Any]) -> str:
        self.binders.append(lambda variables, ctx: binder(variables))
        return f"${len(self.binders)}"

    def viewer(self, key: str) -> str:
        """A value of the viewer (``VIEWER_ID``...) or of the instance (``FILES_URL``)."""
        if key in _INSTANCE_VALUES:
            value = _INSTANCE_VALUES[key]
            self.binders.append(lambda variables, ctx: value(ctx))
        else:
            of_viewer = _VIEWER_VALUES[key]
            self.binders.append(lambda variables, ctx: of_viewer(ctx.viewer))
        return f"${len(self.binders)}"


def _value(value: Any) -> Arg:
    if isinstance(value, VariableNode):
        return Arg(variable=value.name.value)
    if isinstance(value, IntValueNode):
        return Arg(literal=int(value.value))
    if isinstance(value, StringValueNode | BooleanValueNode | EnumValueNode):
        return Arg(literal=value.value)  # an enum's name, as a variable gives it
    if isinstance(value, NullValueNode):
        return Arg()
    if isinstance(value, ListValueNode) and all(
            isinstance(v, StringValueNode) for v in value.values):
        return Arg(literal=[v.value for v in value.values])
    raise Unplannable("argument value")


def _arg(node: FieldNode | DirectiveNode, name: str) -> Arg:
    for argument in node.arguments or ():
        if argument.name.value == name:
            return _value(argument.value)
    return Arg()


def _only_args(node: FieldNode, allowed: tuple[str, ...]) -> None:
    for argument in node.arguments or ():
        if argument.name.value not in allowed:
            raise Unplannable(f"argument {argument.name.value}")


def _named(type_: Any) -> Any:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def decode_global_id(value: Any) -> tuple[str, int]:
    """(type name, integer id) of a global id, as the general path reads it; Decline for
    anything it would not find (so that path answers)."""
    type_name, raw = _global_id_parts(value)
    return type_name, _integer_id(raw)


def _global_id_parts(value: Any) -> tuple[str, str]:
    if not isinstance(value, str) or len(value) > MAX_STRING_ARGUMENT:
        raise Decline("id")
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise Decline("id") from exc
    type_name, _, raw = decoded.partition(":")
    return type_name, raw


def _integer_id(raw: str) -> int:
    if not raw.isascii() or not raw.isdigit() or raw != str(int(raw)):
        raise Decline("id")
    number = int(raw)
    if number >= 2 ** 63:
        raise Decline("id")
    return number


def int_id(type_name: str) -> Callable[[Any], int]:
    """How the general path reads an id argument of ``type_name`` given as its number or
    its global id (``schema.pages.parse_int_id``), for the spellings it surely reads
    alike; the others Decline (that path answers them)."""

    def parse(value: Any) -> int:
        text = str(value)
        if text.isascii() and text.isdigit() and text == str(int(text)):
            number = int(text)
        else:
            kind, number = decode_global_id(text)
            if kind != type_name:
                raise Decline("id")
        if not 1 <= number < 2 ** 63:
            raise Decline("id")
        return number

    return parse


def _unique(table: Any, column: str) -> bool:
    """Whether at most one row of ``table`` has a given value in ``column`` (its one-column
    primary key, or a column unique by itself)."""
    found = table.c[column]
    return found.unique or (found.primary_key and len(table.primary_key.columns) == 1) or any(
        len(constraint.columns) == 1 and found in constraint.columns.values()
        for constraint in table.constraints if isinstance(constraint, UniqueConstraint))


def _uuid_keyed(type_name: str) -> bool:
    """Whether a planned type's rows have UUID ids (its global id carries the UUID)."""
    form = TYPES.get(type_name)
    return form is not None and form.table is not None and "id" in form.table.c and \
        isinstance(form.table.c.id.type, sqltypes.Uuid)


def decode_node_id(value: Any) -> tuple[str, int | uuid.UUID]:
    """(type name, id) of a ``node`` id as the general path reads it: an integer, or the
    UUID (any spelling ``uuid.UUID`` reads) of a type with UUID ids; Decline otherwise."""
    type_name, raw = _global_id_parts(value)
    if not _uuid_keyed(type_name):
        return type_name, _integer_id(raw)
    try:
        return type_name, uuid.UUID(raw)
    except ValueError as exc:
        raise Decline("id") from exc


def _id_list(value: Any) -> list[Any]:
    if not isinstance(value, list) or len(value) > MAX_NODES:
        raise Decline("ids")
    return value


def _page_size(value: Any, maximum: int = MAX_PAGE_SIZE) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise Decline("first")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Decline("flag")
    return value


def _cursor_kind(table: Any, column: str) -> str:
    """How a page's cursor carries a column: a number, or the text of a timestamp (as
    ``datetime.isoformat`` writes it) or of a UUID, as the resolvers' cursors do."""
    type_ = table.c[column].type
    if isinstance(type_, sqltypes.DateTime):
        return "timestamp"
    if isinstance(type_, sqltypes.Uuid):
        return "uuid"
    return "int"


_NO_POSITION = {"int": 0, "timestamp": datetime(1970, 1, 1, tzinfo=UTC), "uuid": uuid.UUID(int=0)}
_CAST = {"int": "", "timestamp": "::timestamptz", "uuid": "::uuid"}


def _cursor_value(value: Any, kind: str) -> Any:
    if kind == "int":
        if isinstance(value, int) and not isinstance(value, bool) and \
                -2 ** 63 <= value < 2 ** 63:
            return value
        raise Decline("after")
    if not isinstance(value, str) or len(value) > MAX_STRING_ARGUMENT:
        raise Decline("after")
    try:
        parsed = uuid.UUID(value) if kind == "uuid" else datetime.fromisoformat(value)
    except ValueError as exc:
        raise Decline("after") from exc
    if kind == "timestamp" and parsed.tzinfo is None:
        raise Decline("after")
    return parsed


def _cursor(value: Any, kinds: tuple[str, ...]) -> list[Any] | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_STRING_ARGUMENT:
        raise Decline("after")
    try:
        values = decode_cursor(value)
    except Exception as exc:
        raise Decline("after") from exc
    if len(values) != len(kinds):
        raise Decline("after")
    return [_cursor_value(v, k) for v, k in zip(values, kinds, strict=True)]


def _order_terms(order: tuple[str, ...]) -> list[tuple[str, bool]]:
    """A page's order as (column, descending) pairs (``"column DESC"`` sorts down)."""
    terms = []
    for term in order:
        name, _, direction = term.partition(" ")
        terms.append((name, direction.strip().upper() == "DESC"))
    return terms


def _beyond(columns: list[str], keys: list[str], ops: list[str]) -> str:
    """Rows past a position in a keyset order, column by column (``ops``: each column's
    comparison in the reading direction); one row comparison when they all agree."""
    if len(set(ops)) == 1:
        return f"({', '.join(columns)}) {ops[0]} ({', '.join(keys)})"
    terms = []
    for i, op in enumerate(ops):
        equal = [f"{c} = {k}" for c, k in zip(columns[:i], keys[:i], strict=True)]
        terms.append("(" + " AND ".join([*equal, f"{columns[i]} {op} {keys[i]}"]) + ")")
    return "(" + " OR ".join(terms) + ")"


def _iso(column: str) -> str:
    """A ``timestamptz`` as the DateTime scalar (and ``isoformat``) writes it in UTC:
    microseconds only when there are some."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (f"CASE WHEN extract(microseconds FROM {column})::bigint % 1000000 = 0 "
            f"THEN to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"') "
            f"ELSE to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"') END")


def _condition(directive: DirectiveNode, variables: dict[str, Any] | None) -> bool | None:
    """The ``if`` of ``@include``/``@skip``; None while learning (no values yet)."""
    if directive.name.value not in ("include", "skip"):
        raise Unplannable(f"directive {directive.name.value}")
    argument = _arg(directive, "if")
    if variables is None and argument.variable:
        return None
    value = argument.value(variables or {})
    if not isinstance(value, bool):
        raise Decline("directive")
    return value


def included(node: Any, variables: dict[str, Any] | None) -> bool:
    """Whether ``@include``/``@skip`` keep a selection, as graphql-core decides it (while
    learning, a selection under a variable's condition counts as kept)."""
    for directive in node.directives or ():
        value = _condition(directive, variables)
        if value is not None and (directive.name.value == "skip") == value:
            return False
    return True


class Compiler:
    """Compiles one operation for one variant: the runtime type of each ``node`` field
    (by response key), the values that shape the statement (directive conditions, page
    directions) and the viewer (for the rules)."""

    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode],
                 node_types: dict[str, Any], viewer: Any,
                 variables: dict[str, Any] | None = None) -> None:
        self.schema = schema
        self.fragments = fragments
        self.node_types = node_types
        self.viewer = viewer
        self.variables = variables
        self.params = Params()
        self.aliases = 0
        # Conditions the general path checks before answering (its errors otherwise), and
        # the per-minute counts the operation takes.
        self.guards: list[str] = []
        self.counts: list[Callable[[Any], tuple[str, int, int] | None]] = []
        # The LEFT JOINs each row's fields read (by the row's alias; see ``joined``).
        self.joins: dict[str, list[str]] = {}

    def alias(self) -> str:
        self.aliases += 1
        return f"t{self.aliases}"

    def joined(self, alias: str) -> str:
        """The LEFT JOINs of the row ``alias``'s ``One`` fields read by a unique key, for
        the FROM that reads the row, once its object is built. PostgreSQL plans a join as
        it likes (memoized lookups of a repeated key, a hash); a subquery in the select
        list runs once per row, the same content type read again for every item."""
        return "".join(self.joins.pop(alias, ()))

    # Field collection as graphql-core does it (merging fields of one response key in
    # first-seen order, ``@include``/``@skip`` applied).
    def collect(self, selection_sets: list[SelectionSetNode], type_: GraphQLObjectType
                ) -> dict[str, list[FieldNode]]:
        fields: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()

        def walk(selection_set: SelectionSetNode) -> None:
            for selection in selection_set.selections:
                if not included(selection, self.variables):
                    continue
                if isinstance(selection, FieldNode):
                    key = (selection.alias or selection.name).value
                    fields.setdefault(key, []).append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    if self.applies(selection.type_condition, type_):
                        walk(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    if name in visited:
                        continue
                    visited.add(name)
                    fragment = self.fragments.get(name)
                    if fragment is None:
                        raise Unplannable("fragment")
                    if fragment.directives:
                        raise Unplannable("directive")
                    if self.applies(fragment.type_condition, type_):
                        walk(fragment.selection_set)

        for selection_set in selection_sets:
            walk(selection_set)
        if len(fields) > MAX_OBJECT_KEYS:
            raise Unplannable("too many fields")
        return fields

    def applies(self, condition, type_: GraphQLObjectType) -> bool:
        if condition is None:
            return True
        named = self.schema.get_type(condition.name.value)
        if named is type_:
            return True
        return bool(named is not None and is_abstract_type(named)
                    and self.schema.is_sub_type(named, type_))

    def sql(self, expression: Any, table: Any = None, alias: str | None = None) -> str:
        """A condition (or value) from the resolvers over ``table``, for the row ``alias``
        (or over no row of the statement): its columns become the row's (by name, so
        that a subquery over other tables correlates to the row rather than reading the
        table again); the viewer's ids become parameters."""

        def replace(element: Any) -> Any:
            key = getattr(element, "key", None)
            if (key in _VIEWER_VALUES or key in _INSTANCE_VALUES) \
                    and element.__visit_name__ == "bindparam":
                return literal_column(self.params.viewer(key))
            if table is not None and isinstance(element, ColumnClause) \
                    and element.table is table:
                return literal_column(f"{alias}.{element.name}", type_=element.type)
            return None

        adapted = replacement_traverse(expression, {}, replace)
        return str(adapted.compile(dialect=postgresql.dialect(),
                                   compile_kwargs={"literal_binds": True}))

    def guarded(self, guard: Callable[[Any], Any] | None, form: TypeForm, alias: str,
                parent_key: str, value: str) -> str:
        """A field's value where ``guard`` holds for the row ``alias`` of ``form``, and the
        ``DECLINED`` failure where it does not (also where it is null)."""
        condition = guard(self.viewer) if guard is not None else None
        if condition is None:
            return value
        return (f"CASE WHEN {self.sql(condition, form.table, alias)} THEN {value} ELSE "
                f"({_quote(DECLINED + ' ')} || {alias}.{parent_key})::int::text::json END")

    def rule(self, form: TypeForm, alias: str) -> str:
        if form.rule is None:
            return ""
        expression = form.rule(self.viewer)
        if expression is None:
            return ""
        return " AND (" + self.sql(expression, form.table, alias) + ")"

    def where(self, form: TypeForm, alias: str, conditions: tuple[Any, ...]) -> str:
        out = ""
        for condition in conditions:
            if not isinstance(condition, ClauseElement):
                condition = condition(self.viewer)
                if condition is None:
                    continue
            out += " AND (" + self.sql(condition, form.table, alias) + ")"
        return out

    # --- objects ---

    def query(self, operation: OperationDefinitionNode) -> str:
        if operation.operation != OperationType.QUERY or operation.directives:
            raise Unplannable("not a query")
        root = self.schema.query_type
        parts = []
        self.constant: dict[str, Any] | None = {}
        for key, nodes in self.collect([operation.selection_set], root).items():
            parts.append(f"{_quote(key)}, {self.root_field(key, nodes, root)}")
            if nodes[0].name.value == "__typename" and self.constant is not None:
                self.constant[key] = root.name
            else:
                self.constant = None
        if not parts:
            raise Unplannable("nothing selected")
        # As text: orjson reads it faster than the driver's JSON codec would.
        return "SELECT json_build_object(" + ", ".join(parts) + ")::text"

    def by_id(self, type_name: str | None, nodes: list[FieldNode], param: str) -> str:
        target = TYPES.get(type_name or "")
        gql_type = self.schema.get_type(type_name or "")
        if target is None or not target.by_id or not isinstance(gql_type, GraphQLObjectType) \
                or not any(i.name == "Node" for i in gql_type.interfaces) or (
                    callable(target.by_id) and not target.by_id(self.viewer)):
            raise Unplannable("node type")
        alias = self.alias()
        body = self.object(target, gql_type, alias, nodes)
        return (f"(SELECT {body} FROM {target.table.name} {alias}{self.joined(alias)} "
                f"WHERE {alias}.id = {param}{self.rule(target, alias)})")

    def root_field(self, key: str, nodes: list[FieldNode], root: GraphQLObjectType) -> str:
        name = nodes[0].name.value
        if name == "__typename":
            return _quote(root.name)
        form = ROOTS.get(name)
        if form is None:
            raise Unplannable(f"root field {name}")
        field_type = _named(root.fields[name].type)
        if isinstance(form, NodeById):
            _only_args(nodes[0], ("id",))
            argument = _arg(nodes[0], "id")
            param = self.params.add(
                lambda variables, argument=argument: decode_node_id(
                    argument.value(variables))[1])
            return self.by_id(self.node_types.get(key), nodes, param)
        if isinstance(form, NodesByIds):
            _only_args(nodes[0], ("ids",))
            argument = _arg(nodes[0], "ids")
            items = []
            for i, type_name in enumerate(self.node_types.get(key, ())):
                param = self.params.add(
                    lambda variables, i=i, argument=argument: decode_node_id(
                        _id_list(argument.value(variables))[i])[1])
                items.append(self.by_id(type_name, nodes, param))
            return f"json_build_array({', '.join(items)})" if items else "'[]'::json"
        if isinstance(form, Rows):
            return self.rows(form, field_type, nodes)
        return self.page(form, field_type, nodes, parent=None, definition=root.fields[name])

    def argument(self, node: FieldNode, name: str, parse: Callable[[Any], Any],
                 definition: GraphQLField | None = None, optional: bool = False) -> str:
        """A parameter bound from an argument (of the root field ``node``, or of the field
        ``definition``) as the general path reads it (``parse``); any value it refuses
        sends the request there. An ``Int`` argument's value is an integer GraphQL's Int
        holds (32 bits), any other's a string; an ``optional`` one's may be null (bound
        as null)."""
        argument = _arg(node, name)
        definition = definition or self.schema.query_type.fields[node.name.value]
        declared = definition.args.get(name)
        integer = declared is not None and _named(declared.type).name == "Int"

        def bind(variables: dict[str, Any]) -> Any:
            value = argument.value(variables)
            if optional and value is None:
                return None
            if integer:
                if isinstance(value, bool) or not isinstance(value, int) or not (
                        -2 ** 31 <= value < 2 ** 31):
                    raise Decline(name)
            elif not isinstance(value, str) or len(value) > MAX_STRING_ARGUMENT:
                raise Decline(name)
            try:
                return parse(value)
            except Exception as exc:
                raise Decline(name) from exc

        return self.params.add(bind)

    def require(self, requires: tuple[tuple[Any, ...], ...], node: FieldNode,
                parse: Callable[[Any], Any], definition: GraphQLField | None = None) -> None:
        """Guards that the rows ``requires`` names (type, argument: its id, and a rule of
        its own if any) are visible by their rules (the general path answers with its
        error otherwise); an argument that may be null requires nothing where it is."""
        for type_name, name, *rule in requires:
            required = TYPES[type_name]
            alias = self.alias()
            declared = (definition or self.schema.query_type.fields[node.name.value]).args[name]
            optional = not isinstance(declared.type, GraphQLNonNull)
            param = self.argument(node, name, parse, definition, optional=optional)
            visible = (self.where(required, alias, tuple(rule)) if rule
                       else self.rule(required, alias))
            guard = (f"EXISTS (SELECT 1 FROM {required.table.name} {alias} WHERE "
                     f"{alias}.id = {param}{visible})")
            if optional:
                given = self.params.add(
                    lambda variables, a=_arg(node, name): a.value(variables) is not None)
                guard = f"(NOT {given}::boolean OR {guard})"
            self.guards.append(guard)

    def rows(self, form: Rows, gql_type: GraphQLObjectType, nodes: list[FieldNode]) -> str:
        node = nodes[0]
        _only_args(node, tuple(name for name, _ in form.arguments))
        if form.allowed is not None and not form.allowed(self.viewer):
            raise Unplannable("root rows for this viewer")
        if form.guard is not None:
            condition = form.guard(self.viewer)
            if condition is not None:
                self.guards.append(self.sql(condition))
        if form.counts is not None:
            self.counts.append(form.counts)
        self.require(form.requires, node, form.parse)
        target = TYPES[form.type_name]
        alias = self.alias()
        conditions = [f"{alias}.{column} = {self.argument(node, name, form.parse)}"
                      for name, column in form.arguments] or ["true"]
        where = (" AND ".join(conditions) + self.rule(target, alias)
                 + self.where(target, alias, form.where))
        if form.required:
            self.guards.append(f"EXISTS (SELECT 1 FROM {target.table.name} {alias} "
                               f"WHERE {where})")
        body = self.object(target, gql_type, alias, nodes)
        joins = self.joined(alias)
        if form.order:
            order = ", ".join(f"{alias}.{c}" for c in form.order)
            rows = f"{target.table.name} {alias}{joins} WHERE {where}"
            if form.limit is not None:  # the first rows in that order, read as the row
                rows = (f"(SELECT * FROM {target.table.name} {alias} WHERE {where} ORDER BY "
                        f"{order} LIMIT {int(form.limit)}) {alias}{joins}")
            return f"(SELECT coalesce(json_agg({body} ORDER BY {order}), '[]'::json) FROM {rows})"
        return f"(SELECT {body} FROM {target.table.name} {alias}{joins} WHERE {where} LIMIT 1)"

    def object(self, form: TypeForm, gql_type: GraphQLObjectType, alias: str,
               nodes: list[FieldNode]) -> str:
        parts = []
        sets = [n.selection_set for n in nodes if n.selection_set]
        for key, field_nodes in self.collect(sets, gql_type).items():
            parts.append(f"{_quote(key)}, {self.field(form, gql_type, alias, field_nodes)}")
        return "json_build_object(" + ", ".join(parts) + ")"

    def field(self, form: TypeForm, gql_type: GraphQLObjectType, alias: str,
              nodes: list[FieldNode]) -> str:
        name = nodes[0].name.value
        if name == "__typename":
            return _quote(gql_type.name)
        planned = form.fields.get(name)
        if planned is None:
            raise Unplannable(f"{gql_type.name}.{name}")
        field_type = _named(gql_type.fields[name].type)
        if isinstance(planned, Column | Json):
            _only_args(nodes[0], ())
            return f"{alias}.{planned.name}"
        if isinstance(planned, Expression):
            _only_args(nodes[0], ())
            expression = planned.sql
            if not isinstance(expression, ClauseElement):
                expression = expression(self.viewer)
            return f"({self.sql(expression, form.table, alias)})"
        if isinstance(planned, Key):
            _only_args(nodes[0], ())
            return f"{alias}.value -> {_quote(planned.name)}"
        if isinstance(planned, Elements):
            _only_args(nodes[0], ())
            array = f"({self.sql(planned.sql, form.table, alias)})"
            child = self.alias()
            body = self.object(TYPES[planned.type_name], field_type, child, nodes)
            return (f"CASE WHEN jsonb_typeof({array}) = 'array' THEN (SELECT coalesce("
                    f"json_agg({body} ORDER BY {child}.n), '[]'::json) FROM "
                    f"jsonb_array_elements({array}) WITH ORDINALITY AS {child}(value, n)"
                    f"{self.joined(child)}) END")
        if isinstance(planned, DateTime):
            _only_args(nodes[0], ())
            column = (f"{alias}.{planned.name}" if isinstance(planned.name, str)
                      else f"({self.sql(planned.name, form.table, alias)})")
            return _iso(column)
        if isinstance(planned, GlobalId):
            _only_args(nodes[0], ())
            encoded = (f"encode(convert_to({_quote(planned.type_name + ':')} || "
                       f"{alias}.{planned.column}, 'UTF8'), 'base64')")
            # PostgreSQL breaks base64 into lines of 76 characters: a UUID's can be longer.
            return f"replace({encoded}, E'\\n', '')" if len(
                planned.type_name) + 37 > 57 else encoded
        if isinstance(planned, Count):
            _only_args(nodes[0], ())
            child = self.alias()
            counted = f"DISTINCT {child}.{planned.distinct}" if planned.distinct else "*"
            where = "".join(f" AND ({self.sql(c, planned.table, child)})"
                            for c in planned.where)
            return (f"(SELECT count({counted}) FROM {planned.table.name} {child} WHERE "
                    f"{child}.{planned.key} = {alias}.{planned.parent_key}{where})")
        if isinstance(planned, Same):
            _only_args(nodes[0], ())
            if planned.allowed is not None and not planned.allowed(self.viewer):
                raise Unplannable(f"{gql_type.name}.{name} for this viewer")
            return self.object(TYPES[planned.type_name], field_type, alias, nodes)
        if isinstance(planned, One):
            _only_args(nodes[0], ())
            if planned.allowed is not None and not planned.allowed(self.viewer):
                raise Unplannable(f"{gql_type.name}.{name} for this viewer")
            target = TYPES[planned.type_name]
            child = self.alias()
            body = self.object(target, field_type, child, nodes)
            on = (f"{child}.{planned.key} = {alias}.{planned.parent_key}"
                  f"{self.where(target, child, planned.where)}")
            if not planned.order and _unique(target.table, planned.key):
                # At most one row: a join of the parent's row (see ``joined``).
                self.joins.setdefault(alias, []).append(
                    f" LEFT JOIN {target.table.name} {child} ON {on}{self.joined(child)}")
                return f"CASE WHEN {child}.{planned.key} IS NOT NULL THEN {body} END"
            order = (" ORDER BY " + ", ".join(f"{child}.{c}" for c in planned.order)
                     if planned.order else "")
            return (f"(SELECT {body} FROM {target.table.name} {child}{self.joined(child)} "
                    f"WHERE {on}{order} LIMIT 1)")
        if isinstance(planned, Many):
            _only_args(nodes[0], ())
            target = TYPES[planned.type_name]
            child = self.alias()
            order = ", ".join(self.sql(c, target.table, child) if isinstance(c, ClauseElement)
                              else f"{child}.{c}" for c in planned.order)
            body = self.object(target, field_type, child, nodes)
            return self.guarded(planned.guard, form, alias, planned.parent_key, (
                f"(SELECT coalesce(json_agg({body} ORDER BY {order}), '[]'::json) "
                f"FROM {target.table.name} {child}{self.joined(child)} WHERE "
                f"{child}.{planned.key} = {alias}.{planned.parent_key}"
                f"{self.where(target, child, planned.where)})"))
        value = self.guarded(planned.guard, form, alias, planned.parent_key,
                             self.page(planned, field_type, nodes, parent=alias,
                                       definition=gql_type.fields[name]))
        if planned.shown is not None:
            value = (f"CASE WHEN {self.sql(planned.shown(self.viewer), form.table, alias)} "
                     f"THEN {value} END")
        return value

    def backward(self, last: Arg, first: Arg) -> bool:
        """Whether a page reads back from its end (``last``), as the pagers decide it."""
        if self.variables is None:
            raise Unplannable("page direction unknown while learning")
        size_last, size_first = last.value(self.variables), first.value(self.variables)
        if size_last is not None and size_first is not None:
            raise Decline("first and last")
        return size_last is not None

    def page(self, form: Page, connection: GraphQLObjectType, nodes: list[FieldNode], *,
             parent: str | None, definition: GraphQLField) -> str:
        flags = tuple(name for name, _ in form.flags)
        _only_args(nodes[0], ("first", "after", "last", "before", *flags,
                              *(name for name, _ in form.arguments)))

        def arg(name: str) -> Arg:
            """The argument, or the field's default where the document leaves it out."""
            if any(a.name.value == name for a in nodes[0].arguments or ()):
                return _arg(nodes[0], name)
            argument = definition.args.get(name)
            if argument is None or argument.default_value is Undefined:
                return Arg()
            return Arg(literal=argument.default_value)

        first, after, last, before = (arg(n) for n in ("first", "after", "last", "before"))
        if parent is None and form.allowed is not None and not form.allowed(self.viewer):
            raise Unplannable("root list for this viewer")
        if parent is None:
            self.require(form.requires, nodes[0], form.parse, definition)
        back = self.backward(last, first)
        size_arg, cursor_arg = (last, before) if back else (first, after)
        target = TYPES[form.type_name]
        size = self.params.add(
            lambda variables: _page_size(size_arg.value(variables), form.maximum))
        terms = _order_terms(form.order)
        kinds = tuple(_cursor_kind(target.table, c) for c, _ in terms)
        no_cursor = self.params.add(
            lambda variables: _cursor(cursor_arg.value(variables), kinds) is None)
        keys = [self.params.add(
            lambda variables, i=i: (_cursor(cursor_arg.value(variables), kinds)
                                    or [_NO_POSITION[k] for k in kinds])[i]) + _CAST[kinds[i]]
            for i in range(len(kinds))]
        inner, row = self.alias(), self.alias()
        # Reading from the end (``last``) flips every column's direction.
        direction = ", ".join(f"{inner}.{c}{' DESC' if desc != back else ''}"
                              for c, desc in terms)
        beyond = _beyond([f"{inner}.{c}" for c, _ in terms], keys,
                         ["<" if desc != back else ">" for _, desc in terms])
        # A Boolean argument's condition holds where the argument is true.
        flagged = [(self.params.add(lambda variables, a=arg(name): _flag(a.value(variables))),
                    condition) for name, condition in form.flags]
        # An argument given (not null) lists the rows whose column equals its value.
        for name, column in form.arguments:
            if any(a.name.value == name for a in nodes[0].arguments or ()):
                given = self.params.add(
                    lambda variables, a=arg(name): a.value(variables) is not None)
                value = self.argument(nodes[0], name, form.parse, definition, optional=True)
                flagged.append((given, target.table.c[column] == literal_column(value)))
        where = (f"({no_cursor}::boolean OR {beyond}) AND "
                 + self.listed(form, target, inner, parent, flagged))
        # One row more than the page, numbered from where the page starts reading, tells
        # whether more exist in that direction.
        rows = (f"(SELECT {inner}.*, row_number() OVER (ORDER BY {direction}) AS _n "
                f"FROM {target.table.name} {inner} WHERE {where} "
                f"ORDER BY {direction} LIMIT {size} + 1) {row}")
        parts_of_cursor = [
            f"{row}.{c}" if kind == "int" else
            f"'\"' || {_iso(f'{row}.{c}') if kind == 'timestamp' else f'{row}.{c}'} || '\"'"
            for (c, _), kind in zip(terms, kinds, strict=True)]
        cursor = ("rtrim(translate(replace(encode(convert_to('[' || "
                  + " || ',' || ".join(parts_of_cursor)
                  + " || ']', 'UTF8'), 'base64'), E'\\n', ''), '+/', '-_'), '=')")
        row_order = ", ".join(f"{row}.{c}{' DESC' if desc else ''}" for c, desc in terms)
        parts = []
        sets = [n.selection_set for n in nodes if n.selection_set]
        for key, field_nodes in self.collect(sets, connection).items():
            name = field_nodes[0].name.value
            if name == "__typename":
                parts.append(f"{_quote(key)}, {_quote(connection.name)}")
                continue
            if name == "nodes":  # ``edges { node }`` without the edges
                value = self.object(target, _named(connection.fields["nodes"].type), row,
                                    field_nodes)
                parts.append(f"{_quote(key)}, (SELECT coalesce(json_agg({value} ORDER BY "
                             f"{row_order}) FILTER (WHERE {row}._n <= {size}), '[]'::json) "
                             f"FROM {rows}{self.joined(row)})")
                continue
            if name == "totalCount":  # the rows the pages are read from, no cursor or size
                _only_args(field_nodes[0], ())
                counted = self.alias()
                listed = self.listed(form, target, counted, parent, flagged)
                parts.append(f"{_quote(key)}, (SELECT count(*) FROM {target.table.name} "
                             f"{counted} WHERE {listed})")
                continue
            if name == "pageInfo":
                info = _named(connection.fields["pageInfo"].type)
                parts.append(f"{_quote(key)}, " + self.page_info(
                    info, field_nodes, rows, row, size, no_cursor, cursor, back))
                continue
            if name != "edges":
                raise Unplannable(f"{connection.name}.{name}")
            edge = _named(connection.fields["edges"].type)
            edge_parts = []
            for edge_key, edge_nodes in self.collect(
                    [n.selection_set for n in field_nodes if n.selection_set], edge).items():
                edge_name = edge_nodes[0].name.value
                if edge_name == "__typename":
                    value = _quote(edge.name)
                elif edge_name == "cursor":
                    value = cursor
                elif edge_name == "node":
                    node_type = _named(edge.fields["node"].type)
                    value = self.object(target, node_type, row, edge_nodes)
                else:
                    raise Unplannable(f"{edge.name}.{edge_name}")
                edge_parts.append(f"{_quote(edge_key)}, {value}")
            parts.append(f"{_quote(key)}, (SELECT coalesce(json_agg(json_build_object("
                         f"{', '.join(edge_parts)}) ORDER BY {row_order}) FILTER (WHERE "
                         f"{row}._n <= {size}), '[]'::json) FROM {rows}{self.joined(row)})")
        return "json_build_object(" + ", ".join(parts) + ")"

    def listed(self, form: Page, target: TypeForm, alias: str, parent: str | None,
               flagged: list[tuple[str, Any]]) -> str:
        """Which rows ``alias`` a connection lists, on any of its pages: its parent's, those
        its conditions and flags (parameter, condition) admit, and from the root those the
        type's rule admits."""
        where = (f"{alias}.{form.key} = {parent}.{form.parent_key}" if form.key is not None
                 else "true") + self.where(target, alias, form.where) + "".join(
            f" AND (NOT {flag}::boolean OR ({self.sql(condition, target.table, alias)}))"
            for flag, condition in flagged)
        if parent is None:
            where += self.rule(target, alias)
        return where

    def page_info(self, info: GraphQLObjectType, nodes: list[FieldNode], rows: str, row: str,
                  size: str, no_cursor: str, cursor: str, back: bool) -> str:
        """``pageInfo`` as the resolvers' pages have it: more in the reading direction
        when there is one row more, more the other way when the page starts at a
        cursor."""
        more = f"(SELECT count(*) > {size} FROM {rows})"
        at_cursor = f"(NOT {no_cursor}::boolean)"
        first_read = f"(SELECT {cursor} FROM {rows} WHERE {row}._n = 1)"
        last_read = (f"(SELECT {cursor} FROM {rows} WHERE {row}._n <= {size} "
                     f"ORDER BY {row}._n DESC LIMIT 1)")
        parts = []
        sets = [n.selection_set for n in nodes if n.selection_set]
        for key, field_nodes in self.collect(sets, info).items():
            name = field_nodes[0].name.value
            if name == "__typename":
                value = _quote(info.name)
            elif name == "hasNextPage":
                value = at_cursor if back else more
            elif name == "hasPreviousPage":
                value = more if back else at_cursor
            elif name == "startCursor":
                value = last_read if back else first_read
            elif name == "endCursor":
                value = first_read if back else last_read
            else:
                raise Unplannable(f"{info.name}.{name}")
            parts.append(f"{_quote(key)}, {value}")
        return "json_build_object(" + ", ".join(parts) + ")"


# --- plans -------------------------------------------------------------------------------


@dataclass
class Statement:
    sql: str
    binders: list[Binder]
    constant: dict[str, Any] | None = None  # the data, when it reads no table
    checks: list[Binder] = field(default_factory=list)  # values checked, not sent
    # What must hold for this answer to be the general path's (else that path answers).
    guard: str | None = None
    counts: list[Callable[[Any], tuple[str, int, int] | None]] = field(default_factory=list)


_PARAM = re.compile(r"\$(\d+)")


def _statement(sql: str, binders: list[Binder], constant: dict[str, Any] | None,
               guards: list[str] | None = None,
               counts: list[Callable[[Any], tuple[str, int, int] | None]] | None = None
               ) -> Statement:
    """The statement with only the parameters its SQL uses (numbered anew); the others
    are still bound, as checks, so a value the general path refuses goes there (a page
    of which only ``__typename`` is read still checks its ``first``)."""
    guard = " AND ".join(f"({g})" for g in dict.fromkeys(guards or ())) or None
    used = sorted({int(n) for n in _PARAM.findall(sql + " " + (guard or ""))})
    number = {old: new for new, old in enumerate(used, start=1)}

    def renumber(text: str) -> str:
        return _PARAM.sub(lambda m: f"${number[int(m.group(1))]}", text)

    return Statement(renumber(sql), [binders[n - 1] for n in used], constant,
                     [b for n, b in enumerate(binders, start=1) if n not in number],
                     renumber(guard) if guard else None, list(counts or ()))


# The variant key of a shape whose statement no request's values change.
_ONE_VARIANT: tuple = ((), (), ())


@dataclass
class Shape:
    """Where a request's values change the statement rather than its parameters: the
    ``node``/``nodes`` ids (their types), directive conditions, and which pages read
    back from the end (``last``)."""

    node_fields: dict[str, Arg] = field(default_factory=dict)
    nodes_fields: dict[str, Arg] = field(default_factory=dict)
    conditions: set[str] = field(default_factory=set)
    lasts: set[str] = field(default_factory=set)

    def variant(self, variables: dict[str, Any]) -> tuple[dict[str, Any], tuple]:
        if not (self.node_fields or self.nodes_fields or self.conditions or self.lasts):
            return {}, _ONE_VARIANT  # nothing a request gives changes the statement
        node_types: dict[str, Any] = {
            key: decode_node_id(arg.value(variables))[0]
            for key, arg in self.node_fields.items()}
        for key, arg in self.nodes_fields.items():
            node_types[key] = tuple(decode_node_id(v)[0]
                                    for v in _id_list(arg.value(variables)))
        conditions = []
        for name in sorted(self.conditions):
            value = variables.get(name)
            if not isinstance(value, bool):
                raise Decline("directive")
            conditions.append(value)
        lasts = tuple(variables.get(name) is not None for name in sorted(self.lasts))
        return node_types, (tuple(sorted(node_types.items())), tuple(conditions), lasts)


@dataclass
class Plan:
    """One operation of one document: its compiled statements by variant."""

    schema: GraphQLSchema
    document: Any
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    shape: Shape
    defaults: dict[str, Any]
    variants: dict[tuple, Statement | None] = field(default_factory=dict)
    # The operation's cost when the request gives no variables (it is then always the
    # same; with variables, a page's size may be one of them).
    plain_cost: int | None = None
    # The variables its cost reads (see Planner): a request that gives none of them costs
    # ``plain_cost``. None when not known (every request's cost is then computed).
    cost_variables: frozenset[str] | None = None

    @cached_property
    def operation_name(self) -> str | None:
        return self.operation.name.value if self.operation.name else None

    def statement(self, variables: dict[str, Any], viewer: Any, rule_key: Any) -> Statement:
        node_types, shape = self.shape.variant(variables)
        variant = (shape, rule_key)
        if variant not in self.variants:
            if len(self.variants) > 64:
                raise Decline("too many variants")
            try:
                compiler = Compiler(self.schema, self.fragments, node_types, viewer, variables)
                sql = compiler.query(self.operation)
                self.variants[variant] = _statement(sql, compiler.params.binders,
                                                    compiler.constant, compiler.guards,
                                                    compiler.counts)
            except Unplannable:
                self.variants[variant] = None
        statement = self.variants[variant]
        if statement is None:
            raise Decline("variant not planned")
        return statement


def _literal(node) -> Any:
    if node is None or isinstance(node, NullValueNode):
        return None
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, StringValueNode | BooleanValueNode | EnumValueNode):
        return node.value
    if isinstance(node, ListValueNode) and all(
            isinstance(v, StringValueNode) for v in node.values):
        return [v.value for v in node.values]
    raise Unplannable("default value")


def _shape(operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
           ) -> Shape:
    """The variables that shape an operation's statement, from its whole document."""
    shape = Shape()

    def walk(selection_set: SelectionSetNode | None) -> None:
        for selection in selection_set.selections if selection_set else ():
            for directive in selection.directives or ():
                _condition(directive, None)  # Unplannable for any other directive
                argument = _arg(directive, "if")
                if argument.variable:
                    shape.conditions.add(argument.variable)
            if isinstance(selection, FieldNode):
                last = _arg(selection, "last") if selection.arguments else Arg()
                if last.variable:
                    shape.lasts.add(last.variable)
            if not isinstance(selection, FragmentSpreadNode):
                walk(selection.selection_set)

    walk(operation.selection_set)
    for fragment in fragments.values():
        walk(fragment.selection_set)
    return shape


def learn(schema: GraphQLSchema, document: Any, operation_name: str | None) -> Plan | None:
    """The plan of a document's operation, or None when it has parts without a SQL
    form (checked for what can be known before the runtime types)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1 or operations[0].operation != OperationType.QUERY:
        return None
    operation = operations[0]
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    compiler = Compiler(schema, fragments, {}, None)
    try:
        defaults = {d.variable.name.value: _literal(d.default_value)
                    for d in operation.variable_definitions or ()}
        shape = _shape(operation, fragments)
        root = compiler.collect([operation.selection_set], schema.query_type)
        for key, nodes in root.items():
            name = nodes[0].name.value
            if name != "__typename" and name not in ROOTS:
                return None
            if isinstance(ROOTS.get(name), NodeById):
                shape.node_fields[key] = _arg(nodes[0], "id")
            elif isinstance(ROOTS.get(name), NodesByIds):
                shape.nodes_fields[key] = _arg(nodes[0], "ids")
    except (Unplannable, Decline):
        return None
    return Plan(schema, document, operation, fragments, shape, defaults)


def _plain(value: Any) -> bool:
    if isinstance(value, list):
        return len(value) <= MAX_NODES and all(
            isinstance(v, str) and len(v) <= MAX_STRING_ARGUMENT for v in value)
    return value is None or isinstance(value, bool | int) or (
        isinstance(value, str) and len(value) <= MAX_STRING_ARGUMENT)


class Planner:
    """The plans of one schema, learned from answers of the general executor (bounded,
    least recently used first out), and run for the requests that fit them."""

    def __init__(self, schema: GraphQLSchema, *, cost: Callable[[Any, str | None, dict], int],
                 max_cost: int, maxsize: int = 1000,
                 cost_variables: Callable[[Any], frozenset[str]] | None = None) -> None:
        self.schema = schema
        self.cost = cost
        # The variables a document's cost reads (None: any of them may).
        self.cost_variables = cost_variables
        self.max_cost = max_cost
        self.maxsize = maxsize
        self.plans: OrderedDict[tuple[str, str | None], Plan | None] = OrderedDict()

    def plan_for(self, query: str, operation_name: str | None) -> Plan | None:
        key = (query, operation_name)
        plan = self.plans.get(key)
        if plan is not None:
            self.plans.move_to_end(key)
        return plan

    def learn(self, query: str, operation_name: str | None) -> None:
        """Remember the plan (or that there is none) of a document the general executor
        has just answered without an error."""
        key = (query, operation_name)
        if key in self.plans:
            return
        plan = self.plans[key] = learn(self.schema, parse(query), operation_name)
        if plan is not None and self.cost_variables is not None:
            plan.cost_variables = self.cost_variables(plan.document)
        while len(self.plans) > self.maxsize:
            self.plans.popitem(last=False)

    def bind(self, plan: Plan, raw: Any, ctx: Any, rule_key: Any
             ) -> tuple[Statement, list[Any], int] | None:
        """The statement, its parameters and the operation's cost for this request (of
        context ``ctx``), or None when the general path must answer it."""
        raw = raw or {}
        if not isinstance(raw, dict) or not set(raw) <= set(plan.defaults) or not all(
                _plain(v) for v in raw.values()):
            return None
        variables = {**plan.defaults, **raw}
        try:
            statement = plan.statement(variables, ctx.viewer, rule_key)
            params = [bind(variables, ctx) for bind in statement.binders]
            for check in statement.checks:
                check(variables, ctx)
        except Decline:
            return None
        if raw and (plan.cost_variables is None or not plan.cost_variables.isdisjoint(raw)):
            cost = self.cost(plan.document, plan.operation_name, raw)
        else:
            cost = plan.plain_cost
            if cost is None:
                cost = plan.plain_cost = self.cost(plan.document, plan.operation_name, {})
        if cost > self.max_cost:
            return None
        return statement, params, cost


def rule_key(viewer: Any) -> Any:
    """What the rules may depend on: the viewer's kind, roles, whether there is a user or a
    guest, and an API key's scopes (never the user: a rule about the user's own rows binds
    ``VIEWER_ID`` instead)."""
    return (viewer.kind, frozenset(viewer.roles), viewer.user_id is not None,
            viewer.guest_id is not None, frozenset(viewer.scopes))


async def _read(ctx: Any, sql: str, args: Any) -> Any:
    """The statement's row, or None when a guard did not hold (nothing taken then)."""
    try:
        return await ctx.db.read_row(sql, args)
    except Exception as error:  # the driver's error, or the engine's around it
        if declined(error):
            return None
        raise


async def run_plan(planner: Planner, plan: Plan, variables: Any, ctx: Any
                   ) -> ExecutionResult | None:
    """The answer to a planned request, from one statement on one pooled connection (which
    also charges the viewer's query budget, unless the instance's spare points pay for it
    in memory, and takes its per-minute counts; a document that reads no table, paid in
    memory, sends none); None when the general path must answer it, as it does when the
    budget or a count cannot pay (it refuses with RATE_LIMITED) or a guard does not hold
    (its error). Nothing is charged or counted then, so that path charges and counts the
    request once."""
    bound = planner.bind(plan, variables, ctx, rule_key(ctx.viewer))
    if bound is None:
        return None
    statement, params, cost = bound
    limit = ctx.settings.graphql_budget
    key = budget.key_of(ctx.viewer, ctx.client_ip)
    if limit > 0 and budget.points(cost) > limit:
        return None
    # The counts come first (in the guard's shadow) and the budget's charge after them:
    # a request either count refuses takes nothing from the other.
    prelude, gate, args = "", statement.guard, list(params)
    count = None
    for counted in statement.counts:  # the first count that applies to the viewer
        count = counted(ctx.viewer)
        if count is not None:
            break
    if count is not None:
        hit, hit_args = ratelimit.hit_statement(len(args), gate=gate)
        prelude, gate = f"hit AS ({hit})", "EXISTS (SELECT FROM hit)"
        args += hit_args(*count)
    ledger = ctx.services.budgets
    if limit > 0:  # spare points pay in memory when there are enough
        ctx.budget = ledger.spend(key=key, cost=cost, limit=limit)
    if statement.constant is not None:
        if limit > 0 and ctx.budget is None:
            try:
                ctx.budget = await ledger.charge(key=key, cost=cost, limit=limit)
            except RateLimited:
                return None
        data = dict(statement.constant)
    elif limit > 0 and ctx.budget is None:
        taken = ledger.to_take(key=key, cost=cost, limit=limit)
        sql, args = budget.charged_statement(statement.sql, args, key=key, taken=taken,
                                             limit=limit, prelude=prelude, gate=gate)
        row = await _read(ctx, sql, args)
        if row is None:
            return None
        raw, window_start, used = row
        ctx.budget = ledger.took(key=key, cost=cost, limit=limit, taken=taken,
                                 window_start=window_start, used=used)
        data = orjson.loads(raw)
    else:
        sql = ((f"WITH {prelude} " if prelude else "") + f"SELECT ({statement.sql})"
               + (f" WHERE {gate}" if gate else ""))
        row = await _read(ctx, sql, tuple(args))
        if row is None:  # the general path answers (and charges) it
            if ctx.budget is not None:
                ledger.refund(key=key, budget=ctx.budget)
                ctx.budget = None
            return None
        data = orjson.loads(row[0])
    extensions = {"cost": {"requestedQueryCost": cost, "maximumAvailable": planner.max_cost}}
    if ctx.budget is not None:
        extensions["rateLimit"] = ctx.budget.report()
    return ExecutionResult(data=data, errors=None, extensions=extensions)
