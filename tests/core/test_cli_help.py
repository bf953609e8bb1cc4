"""``learngraph serve --help`` names every option's default and environment variable."""

from __future__ import annotations

import re

from tests.core.test_cli import learngraph


def option_help(text: str) -> dict[str, str]:
    """Each option's help text, on one line."""
    options = text.split("options:", 1)[1].split("\n\n", 1)[0]
    found: dict[str, str] = {}
    for match in re.finditer(r"^  (-[-\w, ]+?)(?: [A-Z_]+)?\s{2,}(.*?)(?=^  -|\Z)", options,
                             re.M | re.S):
        found[match.group(1).split(",")[-1].strip()] = " ".join(match.group(2).split())
    return found


async def test_every_option_states_its_default_and_environment_variable():
    result = await learngraph("serve", "--help", env={"LEARNGRAPH_HOST": "",
                                                      "LEARNGRAPH_PORT": "",
                                                      "LEARNGRAPH_WORKERS": ""})
    assert result.returncode == 0, result.stderr
    options = option_help(result.stdout)
    assert options["--host"] == "address to listen on (env LEARNGRAPH_HOST; default 127.0.0.1)"
    assert options["--port"] == ("port of /graphql and the faces (env LEARNGRAPH_PORT; "
                                 "default 8000)")
    assert options["--workers"] == ("server processes sharing the port (env "
                                    "LEARNGRAPH_WORKERS; default 1)")
    for name in ("--seed-demo", "--no-migrate", "--reload"):
        assert "no environment variable; default" in options[name]
    assert set(options) == {"--help", "--host", "--port", "--workers", "--seed-demo",
                            "--no-migrate", "--reload"}
    assert "README's configuration table" in result.stdout


async def test_the_environment_sets_the_defaults_shown():
    result = await learngraph("serve", "--help", env={"LEARNGRAPH_HOST": "0.0.0.0",
                                                      "LEARNGRAPH_PORT": "9123"})
    options = option_help(result.stdout)
    assert options["--host"].endswith("default 0.0.0.0)")
    assert options["--port"].endswith("default 9123)")


async def test_a_bad_port_in_the_environment_stops_with_one_line():
    result = await learngraph("serve", "--help", env={"LEARNGRAPH_PORT": "eighty"})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "learngraph: LEARNGRAPH_PORT must be a whole number from 1 to 65535; got 'eighty'")


async def test_a_bad_port_or_worker_count_on_the_command_line_stops_with_its_usage():
    for option, value in (("--port", "70000"), ("--port", "0"), ("--workers", "0"),
                          ("--workers", "-2")):
        result = await learngraph("serve", option, value)
        assert result.returncode == 2, (option, value, result.stderr)
        assert "Traceback" not in result.stderr
        assert result.stderr.strip().splitlines()[-1] == (
            f"learngraph serve: error: argument {option}: must be a whole number from 1 to "
            f"65535; got {value!r}")
