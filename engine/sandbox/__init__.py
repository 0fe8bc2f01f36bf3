"""Contained evaluation of diagram code: RestrictedPython, guarded operations, and per-evaluation budgets."""
from .limits import LimitExceeded, Limits
from .script import Sandbox, SandboxEnvironment, TaskScriptEngine

__all__ = ["LimitExceeded", "Limits", "Sandbox", "SandboxEnvironment", "TaskScriptEngine"]
