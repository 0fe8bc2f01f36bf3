"""Campaigns: a case that starts cases of its own (its participants), one per item of a `start_cases` message.

The participants are rows linked by `parent_id`, never data in the campaign's workflow, so the campaign's
stored state does not grow with them. They are started after the campaign's step has written its case row, in
the same transaction: one that cannot start fails the step, and none of them is kept.
"""
from __future__ import annotations

from sqlalchemy import select

from ..core.db import mark_written
from ..core.errors import EngineError, InvalidState, NotFound, SandboxError
from ..core.messages import Msg
from ..core.models import Organization
from ..core.vocabulary import (
    CALLABLE_ONLY_PROPERTY, CASE_ORG_VARIABLE, NUMBER_PATTERN_PROPERTY, PARENT_CASE_ID_VARIABLE,
    PARENT_CASE_NUMBER_VARIABLE, START_CASES_MESSAGE,
)
from ..definitions.bundles import latest_definition
from ..records.numbering import next_numbers
from . import lean
from .cases import RUN_ERRORS, case_row, new_case, new_instance
from .failures import describe_failure
from .statements import CASE_FIELDS, INSERT_TASKS_RETURNING_IDS, update_case

_CASE_FIELDS = frozenset(CASE_FIELDS)


def handle_start_cases(instance, payload) -> None:
    """The `start_cases` message handler: check the payload now, start the cases once the step's row is written."""
    if not isinstance(payload, dict) or not isinstance(payload.get("process"), str) \
            or not isinstance(payload.get("items"), list) \
            or not all(isinstance(item, dict) and all(isinstance(k, str) for k in item) for item in payload["items"]):
        raise ValueError(Msg("campaign.payload"))
    process_key, items = payload["process"], payload["items"]
    instance.after_write(lambda parent: start_participants(parent, process_key, items))


def start_participants(parent, process_key: str, items: list[dict]) -> list[int]:
    """Start one case of the process per item as participants of the instance's case; their ids, in item order.

    Each is started as `start_case` starts a case (number, audit, tasks); an item that cannot start fails the
    parent's step with a message naming the item. The engine's `batch_starts` writes them all at once with the
    same statements (see `_start_batch`); off, they are started one by one.
    """
    session, engine, case = parent.session, parent.engine, parent.case
    try:
        definition = latest_definition(session, process_key)
        if (definition.properties or {}).get(CALLABLE_ONLY_PROPERTY) == "true":
            raise InvalidState(Msg("case.callable_only", name=definition.name), process=process_key)
    except EngineError as exc:
        raise SandboxError(Msg("instance.message_failed", name=START_CASES_MESSAGE, detail=exc.msg)) from exc
    own_org = session.scalar(select(Organization.code).where(Organization.id == case.org_id))
    link = {PARENT_CASE_ID_VARIABLE: case.id, PARENT_CASE_NUMBER_VARIABLE: case.business_number}
    starts = [({**item, **link}, str(item.get(CASE_ORG_VARIABLE) or own_org)) for item in items]
    start = _start_batch if engine.batch_starts and items else _start_each
    started = start(parent, definition, starts)
    parent.audit("cases_started", process=process_key, count=len(started))
    return started


def _failed(index: int, count: int, process_key: str, exc: BaseException) -> SandboxError:
    return SandboxError(Msg("campaign.item_failed", item=index, count=count, process=process_key,
                            detail=describe_failure(exc)))


def _start_each(parent, definition, starts: list[tuple[dict, str]]) -> list[int]:
    """The plain way: each participant as `start_case` starts a case, one after the other."""
    started = []
    for index, (data, org_code) in enumerate(starts, 1):
        try:
            child, instance = new_case(parent.engine, parent.session, definition, data, org_code, parent.actor,
                                       parent_id=parent.case.id)
            instance.run()
            instance.save()
        except (EngineError, *RUN_ERRORS) as exc:
            raise _failed(index, len(starts), definition.process_key, exc) from exc
        started.append(child.id)
    return started


def _write_rows(session, connection, rows: list) -> None:
    """Write the started cases' rows in one executemany of the runner's version-guarded UPDATE."""
    params = [{**{name: getattr(row, name) for name in CASE_FIELDS}, "b_id": row.id, "b_loaded": row.version}
              for row in rows]
    lean.execute(connection, update_case(CASE_FIELDS), params if len(params) > 1 else params[0])
    for row in rows:
        mark_written(session, row, _CASE_FIELDS)


def _start_batch(parent, definition, starts: list[tuple[dict, str]]) -> list[int]:
    """The same starts with the round trips shared: the organisations read in one query, the numbers taken in
    one statement, the rows inserted in one flush, each workflow run and saved by its own Instance into a
    batch, and then the case rows, tasks, audit events and other rows written statement by statement."""
    session, engine, count, key = parent.session, parent.engine, len(starts), definition.process_key
    codes = {code for _, code in starts}
    orgs = {org.code: org for org in session.scalars(select(Organization).where(Organization.code.in_(codes)))}
    for index, (_, code) in enumerate(starts, 1):
        if code not in orgs:
            raise _failed(index, count, key, NotFound(Msg("org.not_found", code=code), organization=code))
        if not orgs[code].active:
            raise _failed(index, count, key, InvalidState(Msg("org.inactive", code=code), organization=code))
    now = engine.now()
    pattern = (definition.properties or {}).get(NUMBER_PATTERN_PROPERTY)
    try:
        numbers = next_numbers(session, pattern, now, count) if pattern else [None] * count
    except EngineError as exc:
        raise _failed(1, count, key, exc) from exc
    rows = [case_row(definition, number, orgs[code], parent.actor, now, parent.case.id)
            for number, (_, code) in zip(numbers, starts)]
    session.add_all(rows)
    session.flush()
    batch: dict = {}
    for index, (row, (data, _)) in enumerate(zip(rows, starts), 1):
        try:
            instance = new_instance(engine, session, row, definition, data, parent.actor, batch=batch)
            instance.run()
            instance.save()
        except (EngineError, *RUN_ERRORS) as exc:
            raise _failed(index, count, key, exc) from exc
    connection = session.connection()
    _write_rows(session, connection, rows)
    session.flush()         # what else the steps added to the session (notifications)
    for statement, params in batch.items():
        if statement is INSERT_TASKS_RETURNING_IDS:
            connection.execute(statement, params)
        else:
            lean.execute(connection, statement, params if len(params) > 1 else params[0])
    return [row.id for row in rows]
