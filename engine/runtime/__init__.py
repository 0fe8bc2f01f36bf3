"""The hot path: the engine, the instance runner, cases, the state codec, the SQL fast path, timers, migration."""
from . import cases, deadlines, lean, migration, score_sheets, timers
from .cases import mark_failed
from .engine import Engine
from .timers import fire_due_timers

__all__ = ["cases", "deadlines", "lean", "migration", "score_sheets", "timers", "mark_failed", "Engine",
           "fire_due_timers"]
