"""The engine, built in one place from its parts: sandbox, codec, forms, clock and caches."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import date, datetime, timezone
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy.orm import Session

from ..core.models import Case, ProcessDefinition
from ..core.vocabulary import (
    CASE_MESSAGE, COPY_MESSAGE, DOCUMENT_MESSAGE, NOTIFY_MESSAGE, REPORTABLE_PROPERTY, SEARCH_FIELDS_PROPERTY,
    START_CASES_MESSAGE, TITLE_PROPERTY,
)
from ..definitions.forms import FormCache
from ..definitions.standards import StandardCache
from ..records.diagram_copies import handle_copy
from ..records.documents import handle_document
from ..records.notifications import handle_notify
from ..sandbox.limits import Limits
from ..sandbox.script import Sandbox, SandboxEnvironment, TaskScriptEngine
from ..time.workdays import CHINA_TZ, WorkCalendar, diagram_helpers
from . import timer_clock  # noqa: F401 - SpiffWorkflow's timers read the clock a run sets
from .campaigns import handle_start_cases
from .case_context import HELPERS as CASE_HELPERS
from .draw_context import HELPERS as DRAW_HELPERS
from .ledger_context import HELPERS as LEDGER_HELPERS
from .limit_context import HELPERS as LIMIT_HELPERS
from .case_messages import handle_case_message
from .standard_context import HELPERS as STANDARD_HELPERS
from .state import StateCodec
from .statements import CASE_STATE


def utc_now() -> datetime:
    """The current moment, timezone-aware."""
    return datetime.now(timezone.utc)


class NoJournal:
    """Where the cases being changed would be noted, for a process that keeps no such note."""

    def running(self, case_id: int, version: int) -> "NoJournal":
        return self

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> None:
        return None


class Engine:
    """Holds the engine's parts; case operations in `engine.runtime.cases` take it with a session."""

    def __init__(self, *, helpers: Mapping[str, Any] | None = None, clock: Callable[[], datetime] = utc_now,
                 step_budget: int = 300, live_cache_size: int = 2000, calendar: WorkCalendar | None = None,
                 limits: Limits | None = None, batch_starts: bool = True):
        self.calendar = calendar or WorkCalendar()
        self.limits = limits or Limits()
        self.sandbox = Sandbox({**diagram_helpers(self.calendar, clock), **CASE_HELPERS, **DRAW_HELPERS,
                                **LEDGER_HELPERS, **STANDARD_HELPERS, **LIMIT_HELPERS, **(helpers or {})},
                               self.limits)
        self.script_engine = TaskScriptEngine(SandboxEnvironment(self.sandbox), self.limits.max_instances,
                                              getattr(clock, "moment_at", None))   # a clock of its own (trial)
        self.codec = StateCodec()
        self.clock = clock
        self.forms = FormCache(today=self.today, calendar=self.calendar)
        self.standards = StandardCache()
        self.limit_tables: dict[tuple[int, str], dict] = {}     # (bundle id, path) -> limit rows; bundles never change
        self.step_budget = step_budget
        # Participants of a campaign started with shared round trips (campaigns.py); off: one start_case each.
        self.batch_starts = batch_starts
        self.message_handlers: dict[str, Callable] = {NOTIFY_MESSAGE: handle_notify,
                                                       DOCUMENT_MESSAGE: handle_document,
                                                       START_CASES_MESSAGE: handle_start_cases,
                                                       CASE_MESSAGE: handle_case_message,
                                                       COPY_MESSAGE: handle_copy}
        self._specs: dict[int, tuple] = {}
        self._properties: dict[int, dict] = {}
        self._live: OrderedDict[int, tuple[int, Any]] = OrderedDict()
        self._lock = threading.Lock()       # threaded servers share one engine
        self._frontiers: WeakKeyDictionary = WeakKeyDictionary()
        self._live_cache_size = live_cache_size
        self.journal = NoJournal()          # a server process sets one that survives its own crash (web/guard.py)
        # Called with (process key, seconds) after each completed task; the web's metrics listen (web/metrics.py).
        self.step_observers: list[Callable[[str, float], None]] = []

    def now(self) -> datetime:
        """The engine's clock."""
        return self.clock()

    def today(self) -> date:
        """The day it is now in China, on the engine's clock."""
        return self.now().astimezone(CHINA_TZ).date()

    def twin(self, *, clock: Callable[[], datetime] | None = None, calendar: WorkCalendar | None = None) -> "Engine":
        """An engine with this one's settings (or another clock or calendar) and none of its caches: for dry runs
        in a transaction that is rolled back, whose workflows must never reach this engine's live cache."""
        twin = Engine(clock=self.clock if clock is None else clock, step_budget=self.step_budget,
                      calendar=self.calendar if calendar is None else calendar, limits=self.limits,
                      batch_starts=self.batch_starts)
        twin.message_handlers = dict(self.message_handlers)
        return twin

    def specs(self, definition_id: int, load: Callable[[], ProcessDefinition]) -> tuple:
        """The restored spec and called specs of a definition, restored once per definition."""
        specs = self._specs.get(definition_id)
        if specs is None:
            specs = self.codec.load_specs(load().spec_json)
            self._specs[definition_id] = specs
        return specs

    def properties(self, definition_id: int, load: Callable[[], ProcessDefinition]) -> dict:
        """A definition's bundle, diagram path and declared case fields (reportable, title), read once per
        definition."""
        props = self._properties.get(definition_id)
        if props is None:
            definition = load()
            raw = definition.properties or {}
            props = {"reportable": [f.strip() for f in raw.get(REPORTABLE_PROPERTY, "").split(",") if f.strip()],
                     "title": raw.get(TITLE_PROPERTY), "bundle_id": definition.bundle_id,
                     "file_path": definition.file_path,
                     "searchable": [f.strip() for f in raw.get(SEARCH_FIELDS_PROPERTY, "").split(",") if f.strip()]}
            self._properties[definition_id] = props
        return props

    def load_workflow(self, session: Session, case: Case):
        """The case's workflow to read: from the live cache when its version matches, else from the database."""
        with self._lock:
            cached = self._live.get(case.id)
            if cached is not None and cached[0] == case.version:
                self._live.move_to_end(case.id)
                return cached[1]
        return self._restore(session, case)

    def take_workflow(self, session: Session, case: Case, state: str | None = None):
        """The case's workflow to change: taken out of the live cache, so no other request of this process works
        on the same object at the same time; `remember` puts it back once the change is committed.

        `state`, if given, is the case's stored state read with the case row (else it is read here when needed).
        """
        with self._lock:
            cached = self._live.pop(case.id, None)
        if cached is not None and cached[0] == case.version:
            return cached[1]
        return self._restore(session, case, state)

    def _restore(self, session: Session, case: Case, state: str | None = None):
        spec, subs = self.specs(case.definition_id, lambda: case.definition)
        text = state if state is not None else session.scalar(CASE_STATE, {"case_id": case.id})
        return self.codec.load_state(text, spec, subs, self.script_engine,
                                     spec_text=lambda: case.definition.spec_json)

    def remember(self, case: Case, workflow) -> None:
        """Keep a committed workflow in memory, keyed by the case version it matches."""
        with self._lock:
            self._live[case.id] = (case.version, workflow)
            self._live.move_to_end(case.id)
            while len(self._live) > self._live_cache_size:
                self._live.popitem(last=False)

    def frontier(self, workflow) -> Any:
        """What the runner noted about a live workflow when it last saved it, if it did."""
        return self._frontiers.get(workflow)

    def note_frontier(self, workflow, frontier: Any) -> None:
        """Note what the next step on this live workflow starts from (only valid while it stays unchanged)."""
        self._frontiers[workflow] = frontier

    def forget(self, case_id: int) -> None:
        """Drop a workflow whose in-memory state may no longer match the database."""
        with self._lock:
            self._live.pop(case_id, None)

    def forget_all(self) -> None:
        """Drop every cached workflow (tests use it to force a reload from the database)."""
        with self._lock:
            self._live.clear()

    def note_step(self, process_key: str, seconds: float) -> None:
        """Tell the step observers that a task of `process_key` was completed in `seconds`."""
        for observer in self.step_observers:
            observer(process_key, seconds)
