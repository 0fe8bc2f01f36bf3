"""Fill one Word template in a child process that has CPU, memory and output limits.

Templates are .docx files under forms/, written by staff in Word with {{ placeholders }}, and are not trusted.
docxtpl's sandboxed Jinja keeps a template away from Python's internals, but it may still loop for hours
(`{% for %}` in `{% for %}`) or ask for gigabytes (`{{ title * 10**10 }}`). So the parent (`fill_in_child`) runs
this module in a fresh interpreter (`_CHILD`), which limits its own CPU time (RLIMIT_CPU) and address space (RLIMIT_AS)
before reading anything, fills the template and checks the size of what it made; the parent also has a
wall-clock timeout. A runaway template ends that child with a reason; the server or scheduler goes on.

Why a fresh interpreter started by `subprocess` rather than `multiprocessing`: the caller is a gunicorn worker
thread (first download) or the scheduler, both in processes with other threads. A bare fork() would copy locks
those threads hold (logging, the connection pool, the import lock) into a child that could then deadlock;
`subprocess` forks and execs in C with nothing in between (no `preexec_fn`, which is unsafe with threads, so
the child sets its limits itself). 'spawn' is as safe but re-imports the parent's `__main__` (gunicorn's or
pytest's) and pickles; 'forkserver' keeps one more long-lived process per worker and adds its preloading rules.
A plain child with bytes on stdin and stdout has none of these, and a crash in it can only fail one document.
Starting it costs about a quarter of a second, once per document, off the step that asked for it.

Protocol: arguments are the CPU seconds, memory bytes and output bytes; stdin is one line of JSON (the context)
followed by the template's bytes; exit 0 writes the document to stdout, exit 3 writes why it was refused
(a stored message, see engine/core/messages.py).
"""
from __future__ import annotations

import io
import json
import os
import resource
import signal
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from babel.dates import format_date
from docxtpl import DocxTemplate
from jinja2.sandbox import SandboxedEnvironment

from ..core.messages import Msg, as_msg
from ..time.workdays import as_moment, day_of

REFUSED = 3                 # the exit status of a template that failed, with its reason on stdout
_MB = 1024 * 1024
_ENGINE = Path(__file__).resolve().parent.parent    # the `engine` package's folder
# The child imports this module without running its packages' __init__ files, which import the database layer,
# the registries and the workbooks: a second of imports for a child that needs docxtpl, the messages and the
# calendar. Each package is taken as a plain folder (argv[4] is the engine's).
_CHILD = """import sys, types
for name in ("engine", "engine.core", "engine.time", "engine.records"):
    package = types.ModuleType(name)
    package.__path__ = [sys.argv[4] + name[6:].replace(".", "/")]
    sys.modules[name] = package
from engine.records.document_worker import main
sys.exit(main(sys.argv))
"""
_PASSED_ENV = ("PATH", "PYTHONHOME", "PYTHONPATH", "LANG", "LC_ALL", "TZ")    # not the database URL or secret key


@dataclass(frozen=True)
class Limits:
    """What filling one document may use."""

    cpu_seconds: int
    memory_bytes: int
    output_bytes: int           # the document as stored, and the XML it holds once inflated
    wall_seconds: float


class TemplateFailed(Exception):
    """A template could not be filled within the limits; `msg` says why (stored with the document)."""

    def __init__(self, msg: Msg):
        super().__init__(str(msg))
        self.msg = msg


def _cn_date(value) -> str:
    """2025年10月13日 from a date, a moment or an ISO string (a deadline shows the day it ends)."""
    if value in (None, ""):
        return ""
    if isinstance(value, str) and len(value) == 10:
        day = date.fromisoformat(value)
    elif isinstance(value, date) and not isinstance(value, datetime):
        day = value
    else:
        day = day_of(as_moment(value))
    return format_date(day, "long", locale="zh_CN")      # CLDR's long Chinese date: 2025年10月13日


def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(autoescape=False)
    env.filters["cn_date"] = _cn_date
    return env


def render(template: bytes, context: dict) -> bytes:
    """Fill a .docx template with a context in this process; return the new document."""
    doc = DocxTemplate(io.BytesIO(template))
    doc.render(context, jinja_env=_environment())
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def fill_in_child(template: bytes, context: dict, limits: Limits) -> bytes:
    """The filled document, made in a child process within `limits`; TemplateFailed says why it was not."""
    command = [sys.executable, "-c", _CHILD,
               str(limits.cpu_seconds), str(limits.memory_bytes), str(limits.output_bytes), str(_ENGINE)]
    env = {name: os.environ[name] for name in _PASSED_ENV if name in os.environ}
    request = json.dumps(context, ensure_ascii=False, default=str).encode() + b"\n" + template
    try:
        done = subprocess.run(command, input=request, capture_output=True, timeout=limits.wall_seconds, env=env,
                              check=False)
    except subprocess.TimeoutExpired:           # run() has killed the child
        raise TemplateFailed(Msg("document.timeout", seconds=f"{limits.wall_seconds:g}")) from None
    if done.returncode == 0:
        return done.stdout
    raise TemplateFailed(_why(done, limits))


def _why(done: subprocess.CompletedProcess, limits: Limits) -> Msg:
    """Why the child did not make a document, from its exit status."""
    if done.returncode == REFUSED:
        return as_msg(done.stdout.decode("utf-8", "replace"))
    if done.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        return Msg("document.cpu", seconds=limits.cpu_seconds)
    last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or [""])[-1][:200]
    if last:
        return Msg("document.crashed_detail", status=done.returncode, detail=last)
    return Msg("document.crashed", status=done.returncode)


def _limit_self(cpu_seconds: int, memory_bytes: int) -> None:
    """Limit this process before it reads the template: past the soft CPU limit the kernel sends SIGXCPU, which
    ends it (the hard limit a second later kills it); past the memory limit allocations fail with MemoryError."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))         # SIGXCPU would otherwise dump core
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def _check_output(content: bytes, output_bytes: int) -> None:
    """A document that deflates well can still hold gigabytes of XML: count both."""
    inflated = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(content)).infolist())
    if max(len(content), inflated) > output_bytes:
        raise TemplateFailed(Msg("document.too_large", mb=output_bytes // _MB))


def main(argv: list[str]) -> int:
    """Fill the template on stdin within the limits given as arguments (see the module docstring)."""
    cpu_seconds, memory_bytes, output_bytes = (int(a) for a in argv[1:4])
    _limit_self(cpu_seconds, memory_bytes)
    header, _, template = sys.stdin.buffer.read().partition(b"\n")
    try:
        content = render(template, json.loads(header))
        _check_output(content, output_bytes)
    except MemoryError:
        return _refuse(Msg("document.memory", mb=memory_bytes // _MB))
    except TemplateFailed as exc:
        return _refuse(exc.msg)
    except Exception as exc:        # a template is staff-written data: whatever it raises is its failure's reason
        return _refuse(Msg("sandbox.exception", kind=type(exc).__name__, detail=str(exc)))
    sys.stdout.buffer.write(content)
    return 0


def _refuse(reason: Msg) -> int:
    sys.stdout.buffer.write(reason.dumps().encode("utf-8"))
    return REFUSED


if __name__ == "__main__":
    sys.exit(main(sys.argv))
