"""The hot path: the engine, the instance runner, cases, the state codec, the SQL fast path, timers, migration;
campaigns (cases that start cases) and messages between cases."""
from . import campaigns, case_messages, cases, deadlines, lean, migration, repair, score_sheets, submissions, timers
from .case_messages import deliver_case_messages
from .cases import mark_failed
from .engine import Engine
from .timers import fire_due_timers

__all__ = ["campaigns", "case_messages", "deliver_case_messages", "cases", "deadlines", "lean", "migration", "repair",
           "score_sheets", "submissions", "timers", "mark_failed", "Engine", "fire_due_timers"]
