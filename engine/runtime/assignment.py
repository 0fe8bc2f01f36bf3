"""Who a new task goes to straight away, rather than waiting for its lane's group to claim it: the person who
completed the most recent of the earlier tasks its `keepWith` names (the case's handler), or the member of staff
who started the case. Both are held to the one candidate rule (`people.may_do`)."""
from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import select

from ..core.messages import Msg
from ..core.models import HumanTask, User
from ..core.people import may_do
from ..core.vocabulary import KEEP_WITH_PROPERTY


class Handler(NamedTuple):
    """The person an automatic assignment names, and whether they may do the new task."""

    id: int
    username: str
    display_name: str
    able: bool


def assign(instance, connection, row: dict, keep_with: str | None) -> list[str]:
    """Give the new task `row` to the case's handler its `keepWith` names, else (starting a case) to the member of
    staff who starts it, if they may do it; audited, as is a handler who may not and leaves it to the group.
    Answers whom to let see the case: the assignee of a task outside the case's organisation, as a claim would."""
    if keep_with and not instance.new:
        found, rule = earlier_handler(connection, instance.case.id, keep_with, row), KEEP_WITH_PROPERTY
        if found is not None and not found.able:
            instance.audit("task_left_to_group", row["task_uuid"], actor="system", name=row["name"],
                           reason=Msg("assignment.handler_unavailable", person=found.display_name).dumps())
            return []
    elif instance.assign_starter:
        found, rule = starter(connection, instance.actor, row), "start"
        instance.assign_starter = found is None       # only the first task they may do
    else:
        return []
    if found is None:
        return []
    row["assignee_id"] = found.id
    instance.audit("task_assigned", row["task_uuid"], actor="system", name=row["name"], to=found.username, rule=rule)
    # Staff of the case's own organisation see it already (scope.py); an assignee elsewhere (lane_orgs, or a case
    # that moved on to another organisation) is granted it.
    return [found.username] if row["org_id"] != instance.case.org_id else []


def task_ids(keep_with: str) -> list[str]:
    """The element ids a `keepWith` value names (comma-separated, blanks ignored)."""
    return [part.strip() for part in keep_with.split(",") if part.strip()]


def earlier_handler(connection, case_id: int, keep_with: str, row: dict) -> Handler | None:
    """Who completed the most recent of the tasks `keep_with` names in the case, and whether they may do the new
    task `row` (one query); None when none of them was completed by a person."""
    latest = (select(HumanTask.completed_by)
              .where(HumanTask.case_id == case_id, HumanTask.status == "completed",
                     HumanTask.element_id.in_(task_ids(keep_with)))
              .order_by(HumanTask.completed_at.desc(), HumanTask.id.desc()).limit(1).scalar_subquery())
    found = connection.execute(select(User.id, User.username, User.display_name, _able(row))
                               .where(User.username == latest)).first()
    return Handler(found.id, found.username, found.display_name, bool(found.able)) if found else None


def starter(connection, username: str, row: dict) -> Handler | None:
    """The member of staff who starts the case, if they may do the new task `row`."""
    found = connection.execute(select(User.id, User.username, User.display_name, _able(row))
                               .where(User.username == username)).first()
    return Handler(found.id, found.username, found.display_name, True) if found and found.able else None


def _able(row: dict):
    return may_do(row["lane"], row["org_id"], row["candidate_users"]).label("able")
