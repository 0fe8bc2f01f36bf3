"""Demo data: an organisation tree, roles, users, directories and cases standing at different steps (once)."""
from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core import people, User
from engine.records import directory
from engine.runtime import cases

from .auth import hash_password

DEMO_FILE = Path(__file__).with_name("demo_data.json")


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
    today = engine.today().isoformat()
    for spec in demo["cases"]:
        case = cases.start_case(engine, session, spec["process"], spec["data"], org_code=spec["org"], actor=spec["by"])
        for step in spec.get("steps", []):
            data = {k: (today if v == "today" else v) for k, v in step["data"].items()}
            task = next(t for t in cases.case_tasks(session, case.id, "ready") if t.name == step["task"])
            cases.complete_task(engine, session, task.id, data, user=people.user_by_name(session, step["by"]))
    return True


def accounts(path: Path = DEMO_FILE) -> list[tuple[str, str, str]]:
    """(username, name, password) of every demo account, for printing once."""
    demo = json.loads(path.read_text(encoding="utf-8"))
    return [(u["username"], u["name"], demo["password"]) for u in demo["users"]]
