"""The fake LLM of the property-based run: it answers a forced tool call in the tool's form.

The app asks the LLM for structured answers by forcing a tool call whose
``input_schema`` is the answer's JSON schema. The shared fake answers whatever
nobody scripted with plain text, which the app rightly refuses (502); here a forced
call gets the smallest input its schema allows instead, so generated requests reach
the code that runs after the answer. Rules a schema cannot state (four distinct
options, exactly one start block) can still fail on such an answer; the app then
answers 502 ``LLM_INVALID_ANSWER``, rightly, and ``made_up`` tells the run that
this answer was one of ours.
"""

from __future__ import annotations

from typing import Any

from tests.fakes.anthropic_server import FakeAnthropic, Reply


def minimal_instance(schema: dict[str, Any], defs: dict[str, Any], n: int = 0) -> Any:
    """A small value ``schema`` accepts (required properties, minimum sizes); the items
    of an array differ from each other (the ``n``-th string ends in ``n``)."""
    if "$ref" in schema:
        return minimal_instance(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, n)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return minimal_instance(options[0], defs, n)
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: minimal_instance(properties.get(name, {}), defs, n)
                for name in schema.get("required", [])}
    if kind == "array":
        return [minimal_instance(schema.get("items", {}), defs, i)
                for i in range(schema.get("minItems", 0))]
    if kind == "string":
        return ("x" * max(schema.get("minLength", 1), 1) + str(n))
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1)
        high = schema.get("maximum", low + n)
        return (int if kind == "integer" else float)(min(low + n, high))
    if kind == "boolean":
        return False
    return None


class SchemaAnsweringFake(FakeAnthropic):
    """FakeAnthropic whose unscripted answer to a forced tool call fits the tool's schema."""

    made_up = 0  # forced tool calls answered from the schema so far

    def _next_reply(self, path: str, body: Any = None) -> Reply | None:
        reply = super()._next_reply(path, body)
        if reply is not None or not isinstance(body, dict):
            return reply
        choice = body.get("tool_choice") or {}
        tool = next((t for t in body.get("tools") or []
                     if choice.get("type") == "tool" and t.get("name") == choice.get("name")),
                    None)
        if tool is None:
            return None
        schema = tool.get("input_schema") or {}
        self.made_up += 1
        return Reply(kind="tool_use", tool_name=tool["name"],
                     tool_input=minimal_instance(schema, schema.get("$defs", {})),
                     tool_id="toolu_fuzz", stop_reason="tool_use")
