"""A server started by a test writes its stderr (a request log line per request) to a file, not to a pipe: a pipe
that nobody reads fills and then blocks the server. The file is read back to wait for a line, and its tail is shown
when the server does not start."""
from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

POLL_SECONDS = 0.1


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start `args` in a session of its own, stdout discarded and stderr written to `log`."""
    with log.open("ab") as stderr:
        return subprocess.Popen(args, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=stderr)


def read(log: Path) -> str:
    """What the process has written so far."""
    return log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""


def tail(log: Path, lines: int = 60) -> str:
    """The last lines the process wrote, for a failure's message."""
    return "\n".join(read(log).splitlines()[-lines:])


def wait_until(check: Callable[[], object], within: float, what: str, log: Path | None = None,
               process: subprocess.Popen | None = None):
    """Ask `check()` until it answers something true; fail (with the log's tail) after `within` seconds or when
    the process has ended."""
    deadline = time.monotonic() + within
    while True:
        found = check()
        if found:
            return found
        ended = process is not None and process.poll() is not None
        if ended or time.monotonic() > deadline:
            why = f"ended with {process.returncode}" if ended else f"not within {within} s"
            pytest.fail(f"{what}: {why}" + (f"\n{tail(log)}" if log is not None else ""))
        time.sleep(POLL_SECONDS)


def wait_for_line(process: subprocess.Popen, log: Path, text: str, what: str, within: float = 120.0) -> None:
    """Wait until the process has written `text` (a line that says it is up)."""
    wait_until(lambda: text in read(log), within, what, log, process)
