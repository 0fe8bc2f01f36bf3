"""Demo data: an organisation tree, roles, users, directories and cases standing at different steps (once)."""
from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path

import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core import people, Case, User
from engine.records import directory
from engine.runtime import cases, fire_due_timers
from engine.time import CHINA_TZ

from .auth import hash_password
from .demo_ledger import import_demo_ledger

DEMO_FILE = Path(__file__).with_name("demo_data.json")
# Placeholders in step data, relative to the day the demo is loaded: "today", "day-26" / "day+20" (a date),
# "this_year" (an integer), "sheet:<name>" (one of the walk's score sheets).
DAY = re.compile(r"^day([+-]\d+)$")


def load_demo(engine, session: Session, path: Path = DEMO_FILE) -> bool:
    """Create the demo people, directories and cases unless they exist; return whether anything was created."""
    demo = json.loads(path.read_text(encoding="utf-8"))
    if session.scalar(select(User).limit(1)) is not None:
        return False
    password = hash_password(demo["password"])
    for org in demo["organizations"]:
        people.add_organization(session, org["code"], org["name"], org.get("parent"), org.get("kind", ""))
    for role in demo["roles"]:
        people.add_role(session, role["code"], role["name"])
    for user in demo["users"]:
        people.add_user(session, user["username"], user["name"], user["org"], user["roles"], password_hash=password)
    for entry in demo.get("directories", []):
        directory.add_entry(session, entry["kind"], entry["key"], entry["name"], org_code=entry.get("org"),
                            data=entry.get("data"))
    session.commit()
    today = engine.today()
    import_demo_ledger(engine, session, today)      # before the walks: their self-assessments read it
    for spec in demo["cases"]:
        case = cases.start_case(engine, session, spec["process"], spec["data"], org_code=spec["org"], actor=spec["by"])
        for step in spec.get("steps", []):
            _complete(engine, session, case.id, step, _filled(step["data"], today, {}))
    for walk in demo.get("walks", []):
        _walk(engine, session, walk, today)
    return True


def _walk(engine, session: Session, walk: dict, today: date) -> None:
    """A case and the cases it starts, walked step by step with the clock at each step's moment (days before
    the load), so timers and windows pass as they would have; the clock comes back to now afterwards."""
    with time_machine.travel(_moment(today, walk["at"]), tick=False):
        case = cases.start_case(engine, session, walk["process"], walk["data"], org_code=walk["org"],
                                actor=walk["by"])
    for step in walk["steps"]:
        with time_machine.travel(_moment(today, step["at"]), tick=False):
            if step.get("sweep"):
                fire_due_timers(engine, session)
                session.commit()
                continue
            target = _child(session, case.id, step["case"]) if "case" in step else case.id
            _complete(engine, session, target, step, _filled(step["data"], today, walk.get("sheets", {})))


def _complete(engine, session: Session, case_id: int, step: dict, data: dict) -> None:
    """Complete the case's ready task of the step's name as the step's user ("@candidate": its first candidate)."""
    task = next(t for t in cases.case_tasks(session, case_id, "ready") if t.name == step["task"])
    username = task.candidate_users[0] if step["by"] == "@candidate" else step["by"]
    cases.complete_task(engine, session, task.id, data, user=people.user_by_name(session, username))


def _child(session: Session, parent_id: int, where: dict) -> int:
    """The id of the case started by the parent whose reportable fields hold the given values (a list: one of
    them); `"@nth": n` takes the n-th such case (from 0), for children a random draw started."""
    session.commit()
    wanted = {k: v if isinstance(v, list) else [v] for k, v in where.items() if k != "@nth"}
    children = session.scalars(select(Case).where(Case.parent_id == parent_id).order_by(Case.id))
    found = [c.id for c in children if all((c.meta or {}).get(k) in v for k, v in wanted.items())]
    return found[where.get("@nth", 0)]


def _moment(today: date, at: str) -> datetime:
    """"-40 09:10": that time in China, so many days before (or after) the load's day."""
    days, clock = at.split()
    return datetime.combine(today + timedelta(days=int(days)), time.fromisoformat(clock), CHINA_TZ)


def _filled(data: dict, today: date, sheets: dict) -> dict:
    """The step's data with its placeholders replaced."""
    return {key: _value(value, today, sheets) for key, value in data.items()}


def _value(value, today: date, sheets: dict):
    """One value with its placeholder (see DAY) replaced; any other value as it is."""
    if not isinstance(value, str):
        return value
    if value == "today":
        return today.isoformat()
    if value == "this_year":
        return today.year
    if value.startswith("sheet:"):
        return sheets[value[len("sheet:"):]]
    match = DAY.match(value)
    return (today + timedelta(days=int(match.group(1)))).isoformat() if match else value


def accounts(path: Path = DEMO_FILE) -> list[tuple[str, str, str]]:
    """(username, name, password) of every demo account, for printing once."""
    demo = json.loads(path.read_text(encoding="utf-8"))
    return [(u["username"], u["name"], demo["password"]) for u in demo["users"]]
