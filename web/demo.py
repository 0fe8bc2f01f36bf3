"""Demo data: an organisation tree, roles, users and a few cases (loaded once)."""
from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import cases, people
from engine.models import User

from .auth import hash_password

DEMO_FILE = Path(__file__).with_name("demo_data.json")


def load_demo(engine, session: Session, path: Path = DEMO_FILE) -> bool:
    """Create the demo people and cases unless they exist; return whether anything was created."""
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
    session.commit()
    for case in demo["cases"]:
        cases.start_case(engine, session, case["process"], case["data"], org_code=case["org"], actor=case["by"])
    return True
