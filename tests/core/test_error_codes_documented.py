"""Every ``extensions.code`` the GraphQL API can answer is listed in the README's table of
error codes, found by reading the code that sets them: a domain error's ``code``
(``code = "…"`` in its class, ``code="…"`` where one is raised), an ``extensions``
``"code": "…"``, a constant standing for one, and graphql's own parse and validation
codes."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "schema", "resolvers", "models", "loaders")
CODE = r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{4,}"
LITERAL = re.compile(rf'(?:\bcode\s*=\s*|"code"\s*:\s*|"code",\s*)"({CODE})"')
# A code named by a constant: ``extensions={"code": csrf.CSRF_REJECTED}``.
NAMED = re.compile(rf'"code"\s*:\s*(?:\w+\.)*({CODE})\b(?!["(\[.])')
GRAPHQL = re.compile(r'"(GRAPHQL_[A-Z]+_FAILED)"')


def _sources() -> dict[Path, str]:
    return {path: path.read_text() for package in PACKAGES
            for path in (ROOT / package).rglob("*.py")}


def emitted_codes() -> set[str]:
    sources = _sources()
    codes: set[str] = set()
    names: set[str] = set()
    for text in sources.values():
        codes |= set(LITERAL.findall(text)) | set(GRAPHQL.findall(text))
        names |= set(NAMED.findall(text))
    for name in names:
        definition = re.compile(rf'^{name}\s*(?::\s*\w+\s*)?=\s*"({CODE})"', re.M)
        values = {m for text in sources.values() for m in definition.findall(text)}
        codes |= values
    return codes


def documented_codes() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Error codes", 1)[1].split("\n#", 1)[0]
    cells = re.findall(r"^\| (`[^|]+) \|", section, re.M)
    return {code for cell in cells for code in re.findall(r"`([A-Z_]+)`", cell)}


def test_the_search_finds_codes_of_every_kind():
    codes = emitted_codes()
    assert {"NOT_FOUND", "NO_API_KEY", "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED",
            "CSRF_REJECTED", "PERSISTED_QUERY_NOT_FOUND", "QUERY_TOO_COSTLY",
            "IDEMPOTENCY_KEY_REUSED"} <= codes


def test_the_readme_lists_every_error_code():
    missing = emitted_codes() - documented_codes()
    assert not missing, f"add these to README.md's error codes: {sorted(missing)}"
