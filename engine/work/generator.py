"""Data at scale (PostgreSQL): many cases cloned from template cases the engine ran, written with COPY.

Each generated case is a copy of one template case (its row, workflow state, tasks, audit events, documents'
metadata and access rows) moved back in time by whole weeks (so weekdays stay weekdays), with a business number
of its own and its mobile numbers varied: every row is what the engine wrote for the template, re-dated. The
dates inside the texts (workflow state, declared fields, audit details, document contexts) move with the rows, so
an open copy's timers fire when its `next_timer_at` says. Seeded: the same seed gives the same database.
"""
from __future__ import annotations

import bisect
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import JSON, Text, cast, func, select, text
from sqlalchemy.orm import Session

from ..core.case_records import CaseDocument
from ..core.models import AuditEvent, BusinessSequence, Case, CaseAccess, HumanTask
from ..records import documents
from .generator_documents import (
    NUMBER, FilledDocument, Made, documents_filled, made, read_filled, shift_parts, tokens,
)

WEEK = timedelta(weeks=1)
OPEN_STATES = ("running", "suspended")
CHILD_TABLES = (HumanTask.__table__, AuditEvent.__table__, CaseDocument.__table__, CaseAccess.__table__)
# Ids sent in one IN list: a statement may carry at most 65,535 parameters (PostgreSQL's protocol).
ID_CHUNK = 10_000
_CASE = Case.__table__


@dataclass
class Template:
    """One template case: its rows as read, and the tokens its texts hold."""

    case: dict
    children: dict[str, list[dict]]
    open: bool
    weight: float
    number_pattern: tuple[str, re.Pattern] | None = None
    cache: dict = field(default_factory=dict)
    tokenized: tuple | None = None

    @property
    def oldest_weeks(self) -> int:
        """How many weeks back an open copy may go and still wait for its timer (12 at most)."""
        due = self.case["next_timer_at"]
        if not self.open:
            return 0
        if due is None:
            return 12
        return max(0, min(12, int((due - datetime.now(timezone.utc)) / WEEK)))


def templates(session: Session, mix: dict[str, float], open_share: float) -> list[Template]:
    """The template cases: every case of a process in `mix` (its weight shared among that process's closed and
    open templates, `open_share` of it to the open ones). Their documents are filled first, as the scheduler
    would, so each copy holds its documents filled."""
    while documents.render_pending(session, limit=500):
        pass
    found = [_read(session, row) for row in session.execute(
        select(*_columns(_CASE)).where(_CASE.c.process_key.in_(mix)).order_by(_CASE.c.id)).mappings()]
    by_key: dict[tuple[str, bool], list[Template]] = {}
    for template in found:
        by_key.setdefault((template.case["process_key"], template.open), []).append(template)
    total = sum(mix.values())
    for (key, is_open), group in by_key.items():
        share = open_share if is_open else 1 - open_share
        if not any(t.open != is_open for t in found if t.case["process_key"] == key):
            share = 1.0         # the process has templates of one kind only: they take its whole weight
        for template in group:
            template.weight = mix[key] / total * share / len(group)
    for template in found:
        template.number_pattern = _number_pattern(session, template.case["business_number"])
    return [t for t in found if t.weight > 0]


def _columns(table):
    """A table's columns, JSON ones read as their text (copied as written)."""
    return [cast(c, Text).label(c.name) if isinstance(c.type, JSON) else c for c in table.columns]


def _read(session: Session, row) -> Template:
    case = dict(row)
    children = {t.name: [dict(r) for r in session.execute(
        select(*_columns(t)).where(t.c.case_id == case["id"]).order_by(*t.primary_key.columns)).mappings()]
        for t in CHILD_TABLES}
    for doc in children[CaseDocument.__tablename__]:
        read_filled(session, doc)
    return Template(case, children, case["status"] in OPEN_STATES, 0.0)


def _number_pattern(session: Session, number: str | None):
    """The numbering pattern (`〔{year}〕…第{seq:04d}号`) that made a business number, as (pattern, regex)."""
    if not number:
        return None
    for pattern in session.scalars(select(BusinessSequence.pattern).distinct()):
        regex = re.compile("^" + re.sub(r"\\\{year\\\}", r"(?P<year>\\d{4})", re.sub(
            r"\\\{seq(?::0?(\d+)d)?\\\}", r"(?P<seq>\\d+)", re.escape(pattern))) + "$")
        if regex.match(number):
            return pattern, regex
    return None


@dataclass
class Plan:
    """Which template each generated case copies and how many weeks back, in the order of creation."""

    picks: list[tuple[int, int]]       # (template index, weeks back)


def plan(templates_: list[Template], count: int, years: int, seed: int) -> Plan:
    """Choose `count` copies: a template by weight, and a moment within `years` years (open ones: recent)."""
    rng = random.Random(seed)
    cumulative, total = [], 0.0
    for template in templates_:
        total += template.weight
        cumulative.append(total)
    picks = []
    for _ in range(count):
        index = min(bisect.bisect(cumulative, rng.random() * total), len(templates_) - 1)
        template = templates_[index]
        weeks = rng.randint(0, template.oldest_weeks) if template.open else rng.randint(1, years * 52)
        picks.append((index, weeks))
    picks.sort(key=lambda p: templates_[p[0]].case["created_at"] - p[1] * WEEK)
    return Plan(picks)


class _Clock:
    """A clock the check sets to each timer's moment."""

    def __init__(self) -> None:
        self.moment = datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.moment


def _tokenized(row: dict, number: str | None, skip: tuple[str, ...]) -> dict:
    return {k: tokens(v, number) if isinstance(v, str) else
            v.tokenized(number) if isinstance(v, FilledDocument) else v
            for k, v in row.items() if k not in skip}


def _shift_row(row: dict, back: timedelta) -> dict:
    shifted: dict = {}
    return {name: value - back if isinstance(value, datetime) else
            shift_parts(value, back, shifted) if isinstance(value, list) else
            value.shifted(back, shifted) if isinstance(value, FilledDocument) else value
            for name, value in row.items()}


def _frozen(template: Template, weeks: int) -> tuple[datetime, dict[str, list]]:
    """The template's rows `weeks` earlier as COPY text, cached: (created_at, table → parts), where only the
    markers (the case id, the number, phone numbers) change per copy."""
    if weeks not in template.cache:
        if template.tokenized is None:
            number = template.case["business_number"]
            template.tokenized = (_tokenized(template.case, number, ("id", "business_number")),
                                  {name: [_tokenized(r, number, ("id", "case_id")) for r in rows]
                                   for name, rows in template.children.items()})
        case_row, children = template.tokenized
        back = weeks * WEEK
        case = _shift_row(case_row, back)
        if not template.open:
            case["parent_id"] = None        # a finished copy years ago belongs to no running campaign
        number = NUMBER if template.case["business_number"] else None
        text_rows = {_CASE.name: _copy_text([{"id": CASE_ID, "business_number": number, **case}])}
        for name, rows in children.items():
            text_rows[name] = _copy_text([made({"case_id": CASE_ID, **_shift_row(r, back)}) for r in rows])
        template.cache[weeks] = (case["created_at"], text_rows)
    return template.cache[weeks]


CASE_ID = object()      # where a copy's case id goes


def _copy_text(rows: list[dict]) -> list:
    """Rows in COPY's text format, as parts: str, and the markers a copy fills."""
    parts: list = []

    def put(part) -> None:
        if isinstance(part, str) and parts and isinstance(parts[-1], str):
            parts[-1] += part
        else:
            parts.append(part)

    for row in rows:
        for i, value in enumerate(row.values()):
            if i:
                put("\t")
            if isinstance(value, list):
                for part in value:
                    put(_escape(part) if isinstance(part, str) else part)
            else:
                put(_cell(value))
        put("\n")
    return parts


def _cell(value):
    if value is None:
        return "\\N"
    if value is CASE_ID or value is NUMBER or isinstance(value, Made):
        return value
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (bytes, memoryview)):
        return "\\\\x" + bytes(value).hex()
    return _escape(str(value))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class _Copy:
    """One copy's varying values: its id, business number and phone numbers."""

    def __init__(self, case_id: int, number: str | None, rng: random.Random) -> None:
        self.case_id, self.number, self.rng, self.phones = str(case_id), number or "", rng, {}
        self.documents: dict[int, tuple[str, str]] = {}

    def text(self, parts: list) -> str:
        return "".join(p if p.__class__ is str else self.case_id if p is CASE_ID else self.number if p is NUMBER
                       else self._phone(p[1]) if p.__class__ is tuple else self._document(p) for p in parts)

    def _document(self, where: Made) -> str:
        key = id(where.filled)
        if key not in self.documents:
            self.documents[key] = where.filled.made(self)
        return self.documents[key][where.sha]

    def _phone(self, original: str) -> str:
        if original not in self.phones:
            self.phones[original] = f"1{self.rng.choice('3456789')}{self.rng.randrange(10**9):09d}"
        return self.phones[original]


def generate(session: Session, templates_: list[Template], count: int, *, years: int = 5, seed: int = 1,
             batch: int = 5000, progress=None) -> list[int]:
    """Write `count` copies of the templates with COPY, `batch` cases a transaction; return the new case ids.
    `progress(done, count)` is called after each batch."""
    from ..time.workdays import CHINA_TZ

    chosen = plan(templates_, count, years, seed)
    rng = random.Random(seed + 1)
    base = session.scalar(select(func.coalesce(func.max(Case.id), 0)))
    session.execute(text("SELECT setval(pg_get_serial_sequence('case_instance', 'id'), :last)"),
                    {"last": base + count})
    counters = {(p, y): v for p, y, v in session.execute(select(
        BusinessSequence.pattern, BusinessSequence.year, BusinessSequence.value))}
    session.commit()
    ids: list[int] = []
    for start in range(0, count, batch):
        chunks: dict[str, list[str]] = {_CASE.name: []} | {t.name: [] for t in CHILD_TABLES}
        for offset, (index, weeks) in enumerate(chosen.picks[start:start + batch]):
            template = templates_[index]
            case_id = base + start + offset + 1
            created_at, text_rows = _frozen(template, weeks)
            copy = _Copy(case_id, _next_number(template, created_at.astimezone(CHINA_TZ).year, counters), rng)
            for name, parts in text_rows.items():
                chunks[name].append(copy.text(parts))
            ids.append(case_id)
        _copy_chunks(session.connection().connection.driver_connection, {_CASE.name: chunks.pop(_CASE.name)})
        session.commit()        # the cases first: their tasks and events refer to them
        _copy_parallel(session, chunks)
        if progress:
            progress(len(ids), count)
    _save_counters(session, counters)
    session.commit()
    return ids


def _next_number(template: Template, year: int, counters: dict) -> str | None:
    if template.number_pattern is None:
        return None
    pattern = template.number_pattern[0]
    counters[(pattern, year)] = counters.get((pattern, year), 0) + 1
    return pattern.format(year=year, seq=counters[(pattern, year)])


def _copy_chunks(connection, chunks: dict[str, list[str]]) -> None:
    """COPY each table's rows (the template's columns; child rows take ids from their sequences)."""
    cursor = connection.cursor()
    cursor.execute("SET LOCAL default_toast_compression = 'lz4'")     # the big texts: cheaper to compress
    for name, texts in chunks.items():
        table = _CASE if name == _CASE.name else next(t for t in CHILD_TABLES if t.name == name)
        columns = [c.name for c in table.columns if name == _CASE.name or c.name != "id"]
        if name == _CASE.name:
            columns = ["id", "business_number", *(c for c in columns if c not in ("id", "business_number"))]
        else:
            columns = ["case_id", *(c for c in columns if c != "case_id")]
        with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
            for at in range(0, len(texts), 200):
                copy.write("".join(texts[at:at + 200]))


def _copy_parallel(session: Session, chunks: dict[str, list[str]]) -> None:
    """The child tables on two connections at once (the server's work is most of the time), each committed."""
    from concurrent.futures import ThreadPoolExecutor

    names = sorted(chunks, key=lambda n: -sum(map(len, chunks[n])))
    halves = [{n: chunks[n] for n in names[0::2]}, {n: chunks[n] for n in names[1::2]}]

    def write(half: dict) -> None:
        raw = session.get_bind().raw_connection()
        try:
            _copy_chunks(raw.driver_connection, half)
            raw.commit()
        finally:
            raw.close()

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(write, halves))


def _save_counters(session: Session, counters: dict) -> None:
    """The numbering goes on after the copies' numbers (a new case never takes a copy's number)."""
    for (pattern, year), value in counters.items():
        session.execute(text(
            "INSERT INTO business_sequence (pattern, year, value) VALUES (:p, :y, :v) "
            "ON CONFLICT (pattern, year) DO UPDATE SET value = greatest(business_sequence.value, excluded.value)"),
            {"p": pattern, "y": year, "v": value})


def check_sample(make_engine, session: Session, case_ids: list[int], *, seed: int = 1,
                 size: int = 20) -> dict[str, int]:
    """Walk a sample of generated open cases through the engine: each loads, its stored open tasks are the
    workflow's ready ones, its documents are filled (each whole document what its sha256 names), and one waiting
    for a timer fires it at its moment (a step, committed)."""
    from SpiffWorkflow.util.task import TaskState

    from ..runtime.cases import mutate_case

    clock = _Clock()
    engine = make_engine(clock)
    open_ids = sorted(found for start in range(0, len(case_ids), ID_CHUNK) for found in session.scalars(
        select(Case.id).where(Case.id.in_(case_ids[start:start + ID_CHUNK]), Case.status.in_(OPEN_STATES))))
    sample = random.Random(seed).sample(open_ids, min(size, len(open_ids)))
    result = {"sampled": len(sample), "loaded": 0, "tasks_match": 0, "documents_filled": 0, "timers_fired": 0}
    for case_id in sample:
        case = session.get(Case, case_id)
        workflow = engine.load_workflow(session, case)
        result["loaded"] += 1
        ready = {str(t.id) for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
        stored = set(session.scalars(select(HumanTask.task_uuid).where(
            HumanTask.case_id == case_id, HumanTask.status == "ready")))
        result["tasks_match"] += stored <= ready
        result["documents_filled"] += documents_filled(session, case)
        if case.next_timer_at is not None and case.status == "running":
            before = case.version
            clock.moment = case.next_timer_at + timedelta(seconds=1)
            session.rollback()
            mutate_case(engine, session, session.get(Case, case_id), "generator-check", _run)
            after = session.get(Case, case_id)
            result["timers_fired"] += after.version > before and after.status != "error"
    return result


def _run(instance) -> None:
    instance.audit("timers_checked")
    instance.run()
