"""One process that runs ``learngraph`` commands one after another, for the suite.

Each command is ``core.cli.main`` with its own arguments, environment, standard output
and standard error, and its exit status as the shell would see it, exactly as
``python -m core.cli`` runs it; only the interpreter and the app's imports (seconds of
CPU) are shared between commands instead of paid again for every one. The tests that
start a server (``serve`` that keeps running) start a process of their own.

Protocol: one JSON object a line on standard input (``argv``, ``env``), one JSON object a
line on the descriptor the process was started with as standard output (``returncode``,
``stdout``, ``stderr``); anything a command writes to descriptor 1 itself goes to
standard error.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import threading
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(argv: list[str], env: dict[str, str]) -> dict:
    from core.cli import main

    os.environ.clear()
    os.environ.update(env)
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as exc:
            # As the interpreter exits: None is 0, a number is the status, anything else
            # is printed to standard error with status 1.
            if exc.code is None:
                code = 0
            elif isinstance(exc.code, int):
                code = exc.code
            else:
                print(exc.code, file=sys.stderr)
                code = 1
        except BaseException:
            traceback.print_exc()
            code = 1
    return {"returncode": code, "stdout": out.getvalue(), "stderr": err.getvalue()}


def serve_commands() -> None:
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    for line in sys.stdin:
        request = json.loads(line)
        answers.write(json.dumps(run(request["argv"], request["env"])) + "\n")
        answers.flush()


class Commands:
    """The suite's side: one such process per test process, started at the first command
    and ended when the test process exits."""

    def __init__(self) -> None:
        self._process: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def run(self, argv: list[str], env: dict[str, str], *,
            timeout: float) -> subprocess.CompletedProcess:
        with self._lock:
            process = self._process
            if process is None or process.poll() is not None:
                process = self._process = subprocess.Popen(
                    [sys.executable, "-m", "tests.cli_session"], cwd=ROOT, text=True,
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=1)
            process.stdin.write(json.dumps({"argv": argv, "env": env}) + "\n")
            process.stdin.flush()
            expired = threading.Event()

            def expire() -> None:
                expired.set()
                process.kill()

            timer = threading.Timer(timeout, expire)
            timer.start()
            try:
                line = process.stdout.readline()
            finally:
                timer.cancel()
            if not line:
                process.kill()
                process.wait()
                self._process = None
                if expired.is_set():
                    raise subprocess.TimeoutExpired(["learngraph", *argv], timeout)
                raise AssertionError(f"the command process ended during {argv}")
            answer = json.loads(line)
            return subprocess.CompletedProcess(["learngraph", *argv], answer["returncode"],
                                               answer["stdout"], answer["stderr"])

    def close(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.stdin.close()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


if __name__ == "__main__":
    serve_commands()
