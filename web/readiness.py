"""/readyz: whether this server should be sent traffic. /healthz (web/pages.py) says the process answers; this says
it can do its work: the database answers, its schema is at the newest migration this code ships, and a scheduler
has beaten recently (no scheduler: no timer fires, no document is filled). 200 when all three hold, else 503; the
JSON body names each check and, for a failed one, why."""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from engine.work import operations

bp = Blueprint("ops", __name__)


def init_app(app: Flask) -> None:
    """Serve /readyz."""
    app.register_blueprint(bp)


def checks(app: Flask) -> dict[str, dict]:
    """Each check by name: {"ok": bool, "reason": text when not ok, and what it saw}."""
    sql = app.extensions["lawflow.sql"]
    try:
        with sql.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = f"database unreachable: {type(exc.orig or exc).__name__}"
        return {"database": {"ok": False, "reason": reason},
                "schema": {"ok": False, "reason": "database unreachable"},
                "scheduler": {"ok": False, "reason": "database unreachable"}}
    found = {"database": {"ok": True}, "schema": _schema(sql)}
    found["scheduler"] = _scheduler(app) if found["schema"]["ok"] else \
        {"ok": False, "reason": "schema not at head"}
    return found


def _schema(sql) -> dict:
    state = operations.schema_state(sql)
    seen = {"current": list(state.current), "head": list(state.head)}
    if state.at_head:
        return {"ok": True, **seen}
    if not state.current:
        return {"ok": False, "reason": "no schema: run `lawflow init-db`", **seen}
    return {"ok": False, "reason": f"schema at {', '.join(state.current)}, this code needs "
                                   f"{', '.join(state.head)}: run `lawflow init-db`", **seen}


def _scheduler(app: Flask) -> dict:
    engine, allowed = app.extensions["lawflow.engine"], float(app.config["READY_HEARTBEAT_SECONDS"])
    with app.extensions["lawflow.sessions"]() as session:
        beat = operations.last_beat(session)
    if beat is None:
        return {"ok": False, "reason": "no scheduler has ever beaten: run `lawflow scheduler`"}
    age = round((engine.now() - beat).total_seconds(), 1)
    if age > allowed:
        return {"ok": False, "reason": f"last scheduler heartbeat {age} s ago (allowed {allowed:g} s)",
                "age_seconds": age}
    return {"ok": True, "age_seconds": age}


@bp.get("/readyz")
def readyz():
    """Ready for traffic: database, schema at head, a scheduler's recent heartbeat (503 and why, when not)."""
    found = checks(current_app._get_current_object())
    ready = all(check["ok"] for check in found.values())
    return jsonify({"status": "ready" if ready else "not ready", "checks": found}), 200 if ready else 503
