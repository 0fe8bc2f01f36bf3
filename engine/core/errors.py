"""Typed engine errors: each carries what went wrong and where."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType


class EngineError(Exception):
    """Base class of every error the engine raises on purpose."""

    code = "engine_error"

    def __init__(self, message: str, **context):
        super().__init__(message)
        self.message = message
        self.context = MappingProxyType(context)    # read-only: diagram code may catch an error it caused

    def to_dict(self) -> dict:
        """A JSON-ready description of the error."""
        return {**self.context, "code": self.code, "message": self.message}


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


@dataclass
class FieldError:
    """One invalid field of submitted data."""

    field: str
    message: str
    rule: str = ""


class DataValidationError(EngineError):
    """Submitted data does not satisfy the task's form; nothing was saved."""

    code = "invalid_data"

    def __init__(self, message: str, errors: list[FieldError], **context):
        super().__init__(message, **context)
        self.errors = errors

    def to_dict(self) -> dict:
        """A JSON-ready description with every field error."""
        base = super().to_dict()
        base["errors"] = [e.__dict__ for e in self.errors]
        return base


@dataclass
class Problem:
    """One problem found while validating a bundle."""

    file: str
    message: str
    element: str | None = None
    line: int | None = None
    severity: str = "error"     # "warning": shown to whoever checks the bundle, but does not stop it being stored

    @property
    def blocking(self) -> bool:
        """Whether the bundle may not be stored while this problem stands."""
        return self.severity != "warning"

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
        super().__init__(f"流程包校验未通过，共 {len(problems)} 个问题")
        self.problems = problems

    def to_dict(self) -> dict:
        """A JSON-ready description with every problem."""
        base = super().to_dict()
        base["problems"] = [p.__dict__ for p in self.problems]
        return base

    def __str__(self) -> str:
        return self.message + "\n" + "\n".join(str(p) for p in self.problems)


class SandboxError(EngineError):
    """An expression or script was refused or failed inside the sandbox."""

    code = "sandbox_error"

    def __init__(self, message: str, line: int | None = None, source: str = ""):
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
        return f"流程连续执行超过 {self.budget} 步而没有等待节点，已停止（最后执行：{self.task}）"
