"""Campaigns: a case that starts cases of its own (its participants), one per item of a `start_cases` message.

The participants are rows linked by `parent_id`, never data in the campaign's workflow, so the campaign's
stored state does not grow with them. They are started after the campaign's step has written its case row, in
the same transaction: one that cannot start fails the step, and none of them is kept.
"""
from __future__ import annotations

from sqlalchemy import select

from ..core.errors import EngineError, InvalidState, SandboxError
from ..core.messages import Msg
from ..core.models import Organization
from ..core.vocabulary import (
    CALLABLE_ONLY_PROPERTY, CASE_ORG_VARIABLE, PARENT_CASE_ID_VARIABLE, PARENT_CASE_NUMBER_VARIABLE,
)
from ..definitions.bundles import latest_definition
from .cases import RUN_ERRORS, describe_failure, new_case


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
    parent's step with a message naming the item.
    """
    session, engine, case = parent.session, parent.engine, parent.case
    try:
        definition = latest_definition(session, process_key)
        if (definition.properties or {}).get(CALLABLE_ONLY_PROPERTY) == "true":
            raise InvalidState(Msg("case.callable_only", name=definition.name), process=process_key)
    except EngineError as exc:
        raise SandboxError(Msg("instance.message_failed", name="start_cases", detail=exc.msg)) from exc
    own_org = session.scalar(select(Organization.code).where(Organization.id == case.org_id))
    link = {PARENT_CASE_ID_VARIABLE: case.id, PARENT_CASE_NUMBER_VARIABLE: case.business_number}
    started = []
    for index, item in enumerate(items, 1):
        try:
            child, instance = new_case(engine, session, definition, {**item, **link},
                                       str(item.get(CASE_ORG_VARIABLE) or own_org), parent.actor, parent_id=case.id)
            instance.run()
            instance.save()
        except (EngineError, *RUN_ERRORS) as exc:
            raise SandboxError(Msg("campaign.item_failed", item=index, count=len(items), process=process_key,
                                   detail=describe_failure(exc))) from exc
        started.append(child.id)
    parent.audit("cases_started", process=process_key, count=len(started))
    return started
