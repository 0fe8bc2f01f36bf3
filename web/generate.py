"""`lawflow generate`: template cases run through the engine (the demo's and web/scale_templates.json's walks),
then copied in bulk to a city's volume (engine.work.generator)."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import time_machine
from sqlalchemy.orm import Session

from engine.core import people, User
from engine.runtime import cases

from .demo import _filled, _moment, load_demo

TEMPLATES_FILE = Path(__file__).with_name("scale_templates.json")


def load_templates(engine, session: Session, path: Path = TEMPLATES_FILE) -> dict:
    """The demo (people, directories, cases at many steps) and the walks of the templates file, each step run
    by the engine as its first candidate; return the file's mix (process → weight) and open share."""
    spec = json.loads(path.read_text(encoding="utf-8"))
    load_demo(engine, session)
    for user in spec.get("users", []):
        people.add_user(session, user["username"], user["name"], user["org"], user["roles"])
    session.commit()
    today = engine.today()
    for walk in spec["walks"]:
        _walk(engine, session, walk, today)
    return spec


def _walk(engine, session: Session, walk: dict, today: date) -> None:
    """A case walked step by step, the clock at each step's moment, each task done by its first candidate."""
    with time_machine.travel(_moment(today, walk["at"]), tick=False):
        case = cases.start_case(engine, session, walk["process"], walk["data"], org_code=walk["org"],
                                actor=walk["by"])
    for step in walk["steps"]:
        with time_machine.travel(_moment(today, step["at"]), tick=False):
            task = next(t for t in cases.case_tasks(session, case.id, "ready") if t.name == step["task"])
            doer = (session.get(User, task.assignee_id) if task.assignee_id else people.candidates(session, task)[0])
            cases.complete_task(engine, session, task.id, _filled(step["data"], today, {}), user=doer)
