"""Typed engine errors: each carries what went wrong and where."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

from .messages import Msg, as_msg


class EngineError(Exception):
    """Base class of every error the engine raises on purpose.

    `code` is the error's kind (what the web answers with); `msg` is what happened, as a message code and its
    parameters that the web renders in the reader's language; `message` is its English developer text."""

    code = "engine_error"

    def __init__(self, message: Msg | str, **context):
        self.msg = as_msg(message)
        super().__init__(str(self.msg))
        self.context = MappingProxyType(context)    # read-only: diagram code may catch an error it caused

    @property
    def message(self) -> str:
        """The English developer text."""
        return str(self.msg)

    @property
    def message_code(self) -> str:
        """The code of what happened (not the error's kind, `code`)."""
        return self.msg.code

    @property
    def params(self) -> dict:
        """The values the message names."""
        return self.msg.params

    def to_dict(self) -> dict:
        """A JSON-ready description of the error."""
        return {**self.context, "code": self.code, "message": self.message, **_coded(self.msg)}


class NotFound(EngineError):
    """The case, task, process or bundle does not exist (or is not visible)."""

    code = "not_found"


class ConflictError(EngineError):
    """Someone else changed the case first; reload and try again."""

    code = "conflict"


class InvalidState(EngineError):
    """The case or task is not in a state that allows the action."""

    code = "invalid_state"


class NotAllowed(EngineError):
    """The actor may not perform this action."""

    code = "not_allowed"


class _Said:
    """A record that says something: its `msg` made a message whatever it was given, `message` the English text."""

    msg: Msg

    def __post_init__(self):
        self.msg = as_msg(self.msg)

    @property
    def message(self) -> str:
        """The English developer text."""
        return str(self.msg)


@dataclass
class FieldError(_Said):
    """One invalid field of submitted data; `field` is its dotted path, "" for the data as a whole."""

    field: str
    msg: Msg | str
    rule: str = ""

    def to_dict(self) -> dict:
        """A JSON-ready description."""
        return {"field": self.field, "message": self.message, "rule": self.rule, **_coded(self.msg)}


class DataValidationError(EngineError):
    """Submitted data does not satisfy the task's form; nothing was saved."""

    code = "invalid_data"

    def __init__(self, message: str, errors: list[FieldError], **context):
        super().__init__(message, **context)
        self.errors = errors

    def to_dict(self) -> dict:
        """A JSON-ready description with every field error."""
        base = super().to_dict()
        base["errors"] = [e.to_dict() for e in self.errors]
        return base


@dataclass
class Problem(_Said):
    """One problem found while validating a bundle."""

    file: str
    msg: Msg | str
    element: str | None = None
    line: int | None = None
    severity: str = "error"     # "warning": shown to whoever checks the bundle, but does not stop it being stored

    @property
    def blocking(self) -> bool:
        """Whether the bundle may not be stored while this problem stands."""
        return self.severity != "warning"

    def to_dict(self) -> dict:
        """A JSON-ready description."""
        return {"file": self.file, "message": self.message, "element": self.element, "line": self.line,
                "severity": self.severity, **_coded(self.msg)}

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}"
        if self.element:
            where += f" [{self.element}]"
        return f"{where}: {self.message}"


class BundleInvalid(EngineError):
    """A bundle failed validation; it was not stored."""

    code = "bundle_invalid"

    def __init__(self, problems: list[Problem]):
        super().__init__(Msg("bundle.invalid", count=len(problems)))
        self.problems = problems

    def to_dict(self) -> dict:
        """A JSON-ready description with every problem."""
        base = super().to_dict()
        base["problems"] = [p.to_dict() for p in self.problems]
        return base

    def __str__(self) -> str:
        return self.message + "\n" + "\n".join(str(p) for p in self.problems)


@dataclass
class RowError(_Said):
    """One wrong row of an imported file: its row number as a spreadsheet counts (the header is row 1) and the
    header of the column concerned ("" for the row as a whole)."""

    row: int
    column: str
    msg: Msg | str

    def to_dict(self) -> dict:
        """A JSON-ready description."""
        return {"row": self.row, "column": self.column, "message": self.message, **_coded(self.msg)}


class ImportRefused(EngineError):
    """An imported file has wrong rows; nothing of it was stored. `errors` are the first of them, `total` counts
    them all."""

    code = "import_refused"

    def __init__(self, errors: list[RowError], total: int | None = None, **context):
        total = len(errors) if total is None else total
        super().__init__(Msg("ledger.refused", count=total, shown=len(errors)), **context)
        self.errors, self.total = errors, total

    def to_dict(self) -> dict:
        """A JSON-ready description with every row error reported."""
        base = super().to_dict()
        base["errors"] = [e.to_dict() for e in self.errors]
        base["total"] = self.total
        return base


class SandboxError(EngineError):
    """An expression or script was refused or failed inside the sandbox."""

    code = "sandbox_error"

    def __init__(self, message: Msg | str, line: int | None = None, source: str = ""):
        super().__init__(message, line=line)
        self.line = line
        self.source = source


class CaseFailed(EngineError):
    """Running the case failed; it was put into the `error` state at its last good state."""

    code = "case_failed"


@dataclass
class StepBudgetExceeded(Exception):
    """Raised inside the run loop when a diagram runs too many steps without waiting."""

    budget: int
    task: str = field(default="")

    def __str__(self) -> str:
        return str(self.msg)

    @property
    def msg(self) -> Msg:
        """What happened, as a message the web renders."""
        return Msg("run.step_budget", budget=self.budget, task=self.task)


def _coded(msg: Msg) -> dict:
    """The message's code and parameters, for a JSON description."""
    found = msg.to_dict()
    return {"message_code": found["code"], "params": found["params"]}


class RowErrors:
    """The errors an import finds in a file's rows, as it reads them: each under its row and the header of its
    column as the file has it (`headers`: a column's name -> its header; a name not in it is shown as it is, ""
    for the row as a whole). The first `MAX_SHOWN` are kept; all are counted."""

    MAX_SHOWN = 100

    def __init__(self, headers: dict[str, str]):
        self.headers = headers
        self.errors: list[RowError] = []
        self.total = 0

    def fail(self, row: int, column: str, msg: Msg) -> None:
        """Note an error of a row (column: one of the import's columns, or "" for the row)."""
        self.total += 1
        if len(self.errors) < self.MAX_SHOWN:
            self.errors.append(RowError(row, self.headers.get(column, column), msg))

    def refusal(self, **context) -> ImportRefused:
        """The refusal of the file: its errors by row, and how many there were."""
        return ImportRefused(sorted(self.errors, key=lambda e: e.row), self.total, **context)
