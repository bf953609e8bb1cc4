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
"""

from __future__ import annotations

import base64
import binascii
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import (
    BooleanValueNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NullValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
    is_abstract_type,
    parse,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.util import ClauseAdapter
from strawberry.types import ExecutionResult

from core import budget
from core.errors import RateLimited
from core.pagination import MAX_PAGE_SIZE, decode_cursor

MAX_OBJECT_KEYS = 50  # json_build_object takes at most 100 arguments
MAX_STRING_ARGUMENT = 1024


class Unplannable(Exception):
    """The operation (or this variant of it) has no SQL form: use the general executor."""


class Decline(Exception):
    """This request's values need the general path (which reports its own error)."""


# --- forms the domain declares ------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A field read from a column of the type's table, as JSON (text, number, boolean)."""

    name: str


@dataclass(frozen=True)
class DateTime:
    """A ``timestamptz`` column as the DateTime scalar writes it (Python's isoformat in
    UTC: microseconds only when there are some)."""

    name: str


@dataclass(frozen=True)
class GlobalId:
    """The Relay global id of the row: base64 of ``Type:id``."""

    type_name: str
    column: str = "id"


@dataclass(frozen=True)
class Many:
    """A plain list of rows of ``type_name`` whose ``key`` column equals this row's
    ``parent_key``, in ``order``."""

    type_name: str
    key: str
    order: tuple[str, ...]
    parent_key: str = "id"
    where: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Page:
    """A connection (``first``/``after``, ``edges { cursor node }``) over rows of
    ``type_name`` in ``order``, whose cursors carry the ``order`` columns. With a
    ``key``, the rows whose ``key`` column equals this row's ``parent_key``."""

    type_name: str
    order: tuple[str, ...]
    key: str | None = None
    parent_key: str = "id"
    where: tuple[Any, ...] = ()


@dataclass(frozen=True)
class NodeById:
    """The root ``node(id:)`` field: any planned type with a global id."""


@dataclass
class TypeForm:
    """How one GraphQL object type reads: its table, its planned fields, and the rule
    deciding which rows the viewer may see when they are reached by id or from the root
    (an expression over the table, from the resolvers); a row reached through a visible
    parent is visible, as in the resolvers."""

    name: str
    table: Any
    fields: dict[str, Column | DateTime | GlobalId | Many | Page]
    rule: Callable[[Any], Any] | None = None


TYPES: dict[str, TypeForm] = {}
ROOTS: dict[str, NodeById | Page] = {}


def register_type(form: TypeForm) -> TypeForm:
    TYPES[form.name] = form
    return form


def register_root(name: str, form: NodeById | Page) -> None:
    ROOTS[name] = form


# --- compiling ---------------------------------------------------------------------------


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
    """The statement's parameters, in order, each bound from the request at run time."""

    binders: list[Callable[[dict[str, Any]], Any]] = field(default_factory=list)

    def add(self, binder: Callable[[dict[str, Any]], Any]) -> str:
        self.binders.append(binder)
        return f"${len(self.binders)}"


def _arg(node: FieldNode, name: str) -> Arg:
    for argument in node.arguments or ():
        if argument.name.value != name:
            continue
        value = argument.value
        if isinstance(value, VariableNode):
            return Arg(variable=value.name.value)
        if isinstance(value, IntValueNode):
            return Arg(literal=int(value.value))
        if isinstance(value, StringValueNode):
            return Arg(literal=value.value)
        if isinstance(value, BooleanValueNode):
            return Arg(literal=value.value)
        if isinstance(value, NullValueNode):
            return Arg()
        raise Unplannable(f"argument {name}")
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
    if not isinstance(value, str) or len(value) > MAX_STRING_ARGUMENT:
        raise Decline("id")
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise Decline("id") from exc
    type_name, _, raw = decoded.partition(":")
    if not raw.isascii() or not raw.isdigit() or raw != str(int(raw)):
        raise Decline("id")
    number = int(raw)
    if number >= 2 ** 63:
        raise Decline("id")
    return type_name, number


def _page_size(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PAGE_SIZE:
        raise Decline("first")
    return value


def _cursor(value: Any, size: int) -> list[int] | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_STRING_ARGUMENT:
        raise Decline("after")
    try:
        values = decode_cursor(value)
    except Exception as exc:
        raise Decline("after") from exc
    if len(values) != size or not all(
            isinstance(v, int) and not isinstance(v, bool) and -2 ** 63 <= v < 2 ** 63
            for v in values):
        raise Decline("after")
    return values


class Compiler:
    """Compiles one operation for one variant: the runtime type of each ``node`` field
    (by response key) and the viewer (for the rules)."""

    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode],
                 node_types: dict[str, str], viewer: Any) -> None:
        self.schema = schema
        self.fragments = fragments
        self.node_types = node_types
        self.viewer = viewer
        self.params = Params()
        self.aliases = 0

    def alias(self) -> str:
        self.aliases += 1
        return f"t{self.aliases}"

    # Field collection as graphql-core does it (merging fields of one response key in
    # first-seen order), without directives: a document that uses any is not planned.
    def collect(self, selection_sets: list[SelectionSetNode], type_: GraphQLObjectType
                ) -> dict[str, list[FieldNode]]:
        fields: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()

        def walk(selection_set: SelectionSetNode) -> None:
            for selection in selection_set.selections:
                if selection.directives:
                    raise Unplannable("directive")
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

    def rule(self, form: TypeForm, alias: str) -> str:
        if form.rule is None:
            return ""
        expression = form.rule(self.viewer)
        if expression is None:
            return ""
        adapted = ClauseAdapter(form.table.alias(alias)).traverse(expression)
        return " AND (" + str(adapted.compile(
            dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})) + ")"

    def where(self, form: TypeForm, alias: str, conditions: tuple[Any, ...]) -> str:
        out = ""
        for condition in conditions:
            adapted = ClauseAdapter(form.table.alias(alias)).traverse(condition)
            out += " AND (" + str(adapted.compile(
                dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})) + ")"
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
        # As text: orjson reads it faster than the driver's JSON codec would.
        return "SELECT json_build_object(" + ", ".join(parts) + ")::text"

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
            type_name = self.node_types.get(key)
            target = TYPES.get(type_name or "")
            gql_type = self.schema.get_type(type_name or "")
            if target is None or not isinstance(gql_type, GraphQLObjectType):
                raise Unplannable("node type")
            argument = _arg(nodes[0], "id")
            param = self.params.add(
                lambda variables, argument=argument: decode_global_id(
                    argument.value(variables))[1])
            alias = self.alias()
            body = self.object(target, gql_type, alias, nodes)
            return (f"(SELECT {body} FROM {target.table.name} {alias} "
                    f"WHERE {alias}.id = {param}{self.rule(target, alias)})")
        return self.page(form, field_type, nodes, parent=None)

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
        if isinstance(planned, Column):
            _only_args(nodes[0], ())
            return f"{alias}.{planned.name}"
        if isinstance(planned, DateTime):
            _only_args(nodes[0], ())
            column = f"{alias}.{planned.name}"
            utc = f"({column} AT TIME ZONE 'UTC')"
            return (f"CASE WHEN extract(microseconds FROM {column})::bigint % 1000000 = 0 "
                    f"THEN to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"') "
                    f"ELSE to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"') END")
        if isinstance(planned, GlobalId):
            _only_args(nodes[0], ())
            return (f"encode(convert_to({_quote(planned.type_name + ':')} || "
                    f"{alias}.{planned.column}, 'UTF8'), 'base64')")
        if isinstance(planned, Many):
            _only_args(nodes[0], ())
            target = TYPES[planned.type_name]
            child = self.alias()
            order = ", ".join(f"{child}.{c}" for c in planned.order)
            body = self.object(target, field_type, child, nodes)
            return (f"(SELECT coalesce(json_agg({body} ORDER BY {order}), '[]'::json) "
                    f"FROM {target.table.name} {child} WHERE {child}.{planned.key} = "
                    f"{alias}.{planned.parent_key}{self.where(target, child, planned.where)})")
        return self.page(planned, field_type, nodes, parent=alias)

    def page(self, form: Page, connection: GraphQLObjectType, nodes: list[FieldNode], *,
             parent: str | None) -> str:
        _only_args(nodes[0], ("first", "after"))
        first, after = _arg(nodes[0], "first"), _arg(nodes[0], "after")
        target = TYPES[form.type_name]
        size = self.params.add(lambda variables: _page_size(first.value(variables)))
        columns = len(form.order)
        no_cursor = self.params.add(
            lambda variables: _cursor(after.value(variables), columns) is None)
        keys = [self.params.add(
            lambda variables, i=i: (_cursor(after.value(variables), columns) or [0] * columns)[i])
            for i in range(columns)]
        inner, row = self.alias(), self.alias()
        order = ", ".join(f"{inner}.{c}" for c in form.order)
        conditions = [f"({no_cursor}::boolean OR ({order}) > ({', '.join(keys)}))"]
        if form.key is not None:
            conditions.append(f"{inner}.{form.key} = {parent}.{form.parent_key}")
        where = " AND ".join(conditions) + self.where(target, inner, form.where)
        if parent is None:
            where += self.rule(target, inner)
        # One row more than the page, numbered, tells whether a next page exists.
        rows = (f"(SELECT {inner}.*, row_number() OVER (ORDER BY {order}) AS _n "
                f"FROM {target.table.name} {inner} WHERE {where} "
                f"ORDER BY {order} LIMIT {size} + 1) {row}")
        cursor = ("rtrim(translate(replace(encode(convert_to('[' || "
                  + " || ',' || ".join(f"{row}.{c}" for c in form.order)
                  + " || ']', 'UTF8'), 'base64'), E'\\n', ''), '+/', '-_'), '=')")
        parts = []
        sets = [n.selection_set for n in nodes if n.selection_set]
        for key, field_nodes in self.collect(sets, connection).items():
            name = field_nodes[0].name.value
            if name == "__typename":
                parts.append(f"{_quote(key)}, {_quote(connection.name)}")
                continue
            if name == "pageInfo":
                info = _named(connection.fields["pageInfo"].type)
                parts.append(f"{_quote(key)}, " + self.page_info(
                    info, field_nodes, rows, row, size, no_cursor, cursor))
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
            row_order = ", ".join(f"{row}.{c}" for c in form.order)
            parts.append(f"{_quote(key)}, (SELECT coalesce(json_agg(json_build_object("
                         f"{', '.join(edge_parts)}) ORDER BY {row_order}) FILTER (WHERE "
                         f"{row}._n <= {size}), '[]'::json) FROM {rows})")
        return "json_build_object(" + ", ".join(parts) + ")"

    def page_info(self, info: GraphQLObjectType, nodes: list[FieldNode], rows: str, row: str,
                  size: str, no_cursor: str, cursor: str) -> str:
        """``pageInfo`` as the resolvers' pages have it: a next page when there is one
        row more, a previous one when the page starts after a cursor."""
        parts = []
        sets = [n.selection_set for n in nodes if n.selection_set]
        for key, field_nodes in self.collect(sets, info).items():
            name = field_nodes[0].name.value
            if name == "__typename":
                value = _quote(info.name)
            elif name == "hasNextPage":
                value = f"(SELECT count(*) > {size} FROM {rows})"
            elif name == "hasPreviousPage":
                value = f"(NOT {no_cursor}::boolean)"
            elif name == "startCursor":
                value = f"(SELECT {cursor} FROM {rows} WHERE {row}._n = 1)"
            elif name == "endCursor":
                value = (f"(SELECT {cursor} FROM {rows} WHERE {row}._n <= {size} "
                         f"ORDER BY {row}._n DESC LIMIT 1)")
            else:
                raise Unplannable(f"{info.name}.{name}")
            parts.append(f"{_quote(key)}, {value}")
        return "json_build_object(" + ", ".join(parts) + ")"


# --- plans -------------------------------------------------------------------------------


@dataclass
class Statement:
    sql: str
    binders: list[Callable[[dict[str, Any]], Any]]
    constant: dict[str, Any] | None = None  # the data, when it reads no table


@dataclass
class Plan:
    """One operation of one document: its compiled statements by variant."""

    schema: GraphQLSchema
    document: Any
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    node_fields: dict[str, Arg]
    defaults: dict[str, Any]
    variants: dict[tuple, Statement | None] = field(default_factory=dict)

    @property
    def operation_name(self) -> str | None:
        return self.operation.name.value if self.operation.name else None

    def statement(self, variables: dict[str, Any], viewer: Any, rule_key: Any) -> Statement:
        node_types = {key: decode_global_id(arg.value(variables))[0]
                      for key, arg in self.node_fields.items()}
        variant = (tuple(sorted(node_types.items())), rule_key)
        if variant not in self.variants:
            if len(self.variants) > 64:
                raise Decline("too many variants")
            try:
                compiler = Compiler(self.schema, self.fragments, node_types, viewer)
                sql = compiler.query(self.operation)
                self.variants[variant] = Statement(sql, compiler.params.binders,
                                                   compiler.constant)
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
    if isinstance(node, StringValueNode | BooleanValueNode):
        return node.value
    raise Unplannable("default value")


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
        root = compiler.collect([operation.selection_set], schema.query_type)
        node_fields = {}
        for key, nodes in root.items():
            name = nodes[0].name.value
            if name != "__typename" and name not in ROOTS:
                return None
            if isinstance(ROOTS.get(name), NodeById):
                node_fields[key] = _arg(nodes[0], "id")
    except Unplannable:
        return None
    return Plan(schema, document, operation, fragments, node_fields, defaults)


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, bool | int) or (
        isinstance(value, str) and len(value) <= MAX_STRING_ARGUMENT)


class Planner:
    """The plans of one schema, learned from answers of the general executor (bounded,
    least recently used first out), and run for the requests that fit them."""

    def __init__(self, schema: GraphQLSchema, *, cost: Callable[[Any, str | None, dict], int],
                 max_cost: int, maxsize: int = 1000) -> None:
        self.schema = schema
        self.cost = cost
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
        self.plans[key] = learn(self.schema, parse(query), operation_name)
        while len(self.plans) > self.maxsize:
            self.plans.popitem(last=False)

    def bind(self, plan: Plan, raw: Any, viewer: Any, rule_key: Any
             ) -> tuple[Statement, list[Any], int] | None:
        """The statement, its parameters and the operation's cost for this request, or
        None when the general path must answer it."""
        raw = raw or {}
        if not isinstance(raw, dict) or not set(raw) <= set(plan.defaults) or not all(
                _plain(v) for v in raw.values()):
            return None
        variables = {**plan.defaults, **raw}
        try:
            statement = plan.statement(variables, viewer, rule_key)
            params = [bind(variables) for bind in statement.binders]
        except Decline:
            return None
        cost = self.cost(plan.document, plan.operation_name, raw)
        if cost > self.max_cost:
            return None
        return statement, params, cost


def rule_key(viewer: Any) -> Any:
    """What the rules may depend on: the viewer's kind and roles (never the user: a rule
    about the user's own rows binds the id as a parameter instead)."""
    return (viewer.kind, frozenset(viewer.roles))


async def run_plan(planner: Planner, plan: Plan, variables: Any, ctx: Any
                   ) -> ExecutionResult | None:
    """The answer to a planned request, from one statement on one pooled connection (which
    also charges the viewer's query budget); None when the general path must answer it,
    as it does when the budget cannot pay (it refuses with RATE_LIMITED)."""
    bound = planner.bind(plan, variables, ctx.viewer, rule_key(ctx.viewer))
    if bound is None:
        return None
    statement, params, cost = bound
    limit = ctx.settings.graphql_budget
    key = budget.key_of(ctx.viewer, ctx.client_ip)
    if limit > 0 and budget.points(cost) > limit:
        return None
    if statement.constant is not None:
        if limit > 0:
            try:
                ctx.budget = await budget.charge(ctx.db, key=key, cost=cost, limit=limit)
            except RateLimited:
                return None
        data = dict(statement.constant)
    elif limit > 0:
        sql, args = budget.charged_statement(statement.sql, params, key=key, cost=cost,
                                             limit=limit)
        row = await ctx.db.read_row(sql, args)
        if row is None:
            return None
        raw, window_start, used = row
        ctx.budget = budget.charged_budget(cost, limit, window_start, used)
        data = orjson.loads(raw)
    else:
        raw = await ctx.db.read_value(statement.sql, tuple(params))
        data = orjson.loads(raw)
    extensions = {"cost": {"requestedQueryCost": cost, "maximumAvailable": planner.max_cost}}
    if ctx.budget is not None:
        extensions["rateLimit"] = ctx.budget.report()
    return ExecutionResult(data=data, errors=None, extensions=extensions)
