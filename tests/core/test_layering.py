"""Infrastructure stays below the domain: no module of ``core`` imports the domain
(``resolvers``, ``loaders``) or the faces (``schema``, ``rest_compat``), except the two
that assemble the application from them: the app factory and the command line."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ABOVE_CORE = ("resolvers", "loaders", "schema", "rest_compat")
ASSEMBLERS = {"core/app.py", "core/cli.py"}


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_no_core_module_imports_the_domain_or_the_faces():
    offending = {}
    for path in sorted((ROOT / "core").rglob("*.py")):
        name = str(path.relative_to(ROOT))
        if name in ASSEMBLERS:
            continue
        above = sorted(m for m in imported(path) if m.split(".")[0] in ABOVE_CORE)
        if above:
            offending[name] = above
    assert offending == {}


def test_the_request_context_loads_without_the_domain():
    # Importing every infrastructure module the context needs pulls in nothing above core.
    script = ("import sys, core.context, core.http, core.graphql_app, core.jobs, core.demo; "
              f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({ABOVE_CORE!r})))")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == "[]"


def test_the_domain_registers_its_jobs_and_demo_data_when_imported():
    script = ("import resolvers; from core.jobs import HANDLERS; from core.demo import "
              "DEMO_DATA, ADMIN_MAKERS; print(sorted(HANDLERS), len(DEMO_DATA), "
              "len(ADMIN_MAKERS))")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.strip()
    assert "'jobs.prune'" in out and out.endswith(" 1 1")
