"""Trying a draft before it is published: a test case run by the engine on the draft's files from a chosen start
date, its forms filled step by step in the task form's renderer (or a saved scenario loaded), showing the route,
each task's deadline and legal basis, the documents, the messages and the timers; the clock can be moved to the
next timer. Every request runs the whole scenario again in a transaction that is rolled back: nothing is kept.
A scenario can be saved into the draft (forms/<process>/scenarios/<name>.json) with its outcome, and run again on
a later draft to see what changed."""
from __future__ import annotations

import io
import json
import re
from datetime import datetime

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from engine.core import BundleInvalid, DataValidationError, EngineError, Organization
from engine.definitions import drafts
from engine.records import directory
from engine.time import CHINA_TZ
from engine.work import trial

from . import formfields
from .auth import policy_required
from .database import session
from .engine_text import engine_text
from .refusal import refuse
from .workflow import engine

bp = Blueprint("trial", __name__)
_PROCESS = re.compile(rb'<(?:\w+:)?process\b[^>]*?\bid="([^"]+)"(?:[^>]*?\bname="([^"]*)")?')
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _processes(files: dict[str, bytes]) -> list[tuple[str, str]]:
    """The processes the draft's diagrams declare, (key, name)."""
    found = {}
    for path, content in sorted(files.items()):
        if path.endswith(".bpmn"):
            for key, name in _PROCESS.findall(content):
                found[key.decode()] = (name or key).decode("utf-8", "replace")
    return sorted(found.items(), key=lambda kv: kv[0])


def _posted_scenario() -> dict:
    """The scenario the page carries between requests."""
    try:
        steps = json.loads(request.form.get("t_steps") or "[]")
    except ValueError:
        steps = []
    return {"process": request.form.get("t_process", ""), "org": request.form.get("t_org", ""),
            "start": request.form.get("t_start", ""), "steps": steps if isinstance(steps, list) else []}


@bp.route("/drafts/<int:draft_id>/trial", methods=("GET", "POST"))
@policy_required
def trial_page(draft_id: int):
    """The try-run page: start a test case, fill the open task, move the clock to the next timer, send the case
    one of the messages it waits for, load or save a scenario; each answer shows the outcome of the whole run so far."""
    db = session()
    draft = drafts.get(db, draft_id)
    files = drafts.files(db, draft_id)
    processes = _processes(files)
    scenarios = trial.scenario_paths(files)
    orgs = list(db.scalars(select(Organization).order_by(Organization.path)))
    if request.method == "GET":
        return _page(draft, processes, scenarios, orgs, {"process": processes[0][0] if processes else "",
                                                          "org": g.user.org.code,
                                                          "start": datetime.now(CHINA_TZ).date().isoformat(),
                                                          "steps": []})
    action = request.form.get("t_action", "start")
    if action == "all":
        return _page(draft, processes, scenarios, orgs, _posted_scenario(), checks=_run_all(files, scenarios))
    scenario, expected, posted, errors, status = _posted_scenario(), None, None, {}, 200
    if action == "start":
        scenario["steps"] = []
    elif action == "scenario":
        path = request.form.get("t_scenario", "")
        if path not in files:
            flash(_("找不到测试场景 %(path)s", path=path), "error")
            return redirect(url_for("policy.trial.trial_page", draft_id=draft_id))
        try:
            scenario = trial.parse_scenario(files[path], path)
        except DataValidationError as exc:
            status = refuse(exc, "；".join(f"{e.field}：{engine_text(e)}" for e in exc.errors))
            return _page(draft, processes, scenarios, orgs, _posted_scenario()), status
        expected = scenario.get("expected") or {}
    elif action == "advance":
        scenario["steps"].append({"advance": "next_timer"})
    elif action == "complete":
        task = request.form.get("t_task", "")
        schema = _schema_for(task, request.form.get("t_schema", "{}"))
        posted = formfields.parse(schema, request.form)
        step = {"task": task, "name": request.form.get("t_task_name", ""), "values": posted}
        if request.form.get("t_at"):
            step["at"] = request.form["t_at"]
        if request.form.get("t_by"):
            step["by"] = request.form["t_by"]
        scenario["steps"].append(step)
    elif action == "message":
        step = {"message": request.form.get("t_message", ""), "payload": {}}
        if request.form.get("t_note", "").strip():
            step["payload"]["note"] = request.form["t_note"].strip()[:500]
        if request.form.get("t_at"):
            step["at"] = request.form["t_at"]
        scenario["steps"].append(step)
    try:
        outcome = trial.run(current_app.extensions["lawflow.sql"], engine(), files, scenario, actor=g.user.username)
    except BundleInvalid as exc:
        status = refuse(exc, _("草稿未通过校验，无法试运行：%(problem)s", problem=engine_text(exc)))
        return _page(draft, processes, scenarios, orgs, scenario), status
    except DataValidationError as exc:
        status = refuse(exc, "；".join(f"{e.field}：{engine_text(e)}" for e in exc.errors))
        if action == "message":
            scenario["steps"].pop()     # the refused message is not kept in the steps the page carries
        return _page(draft, processes, scenarios, orgs, scenario), status
    if outcome.failed_step is not None and outcome.failed_step == len(scenario["steps"]) and action == "message":
        scenario["steps"].pop()         # the message just sent was refused: the run stands where it stood before it
        status = refuse(outcome.failure, _("消息未能发送：%(problem)s", problem=engine_text(outcome.failure)))
    elif outcome.failed_step is not None and outcome.failed_step == len(scenario["steps"]) and action == "complete":
        # the form just sent was refused: show it again with what was entered and each field's error
        scenario["steps"].pop()
        if isinstance(outcome.failure, DataValidationError):
            errors = formfields.error_map(outcome.failure.errors)
        status = refuse(outcome.failure, _("%(problem)s，请按提示修改", problem=engine_text(outcome.failure)))
    elif outcome.failed_step == 0:
        status = refuse(outcome.failure, _("测试案件无法发起：%(problem)s", problem=engine_text(outcome.failure)))
    elif outcome.failed_step is not None:
        status = refuse(outcome.failure, _("第 %(n)s 步无法运行：%(problem)s", n=outcome.failed_step,
                                           problem=engine_text(outcome.failure)))
        scenario["steps"] = scenario["steps"][:max(outcome.failed_step - 1, 0)]
    if action == "save":
        status = _save(draft_id, scenario, outcome) or status
        files = drafts.files(db, draft_id)
        scenarios = trial.scenario_paths(files)
    changes = trial.compare(expected, outcome) if expected is not None else None
    return _page(draft, processes, scenarios, orgs, scenario, outcome=outcome, changes=changes,
                 posted=posted if errors else None, errors=errors, ran_scenario=request.form.get("t_scenario")
                 if action == "scenario" else None), status


def _run_all(files: dict[str, bytes], paths: list[str]) -> list[dict]:
    """Every saved scenario run on the draft: what changed from its recorded outcome, or why it could not run."""
    checks = []
    for path in paths:
        check = {"path": path, "changes": [], "problem": None}
        try:
            scenario = trial.parse_scenario(files[path], path)
            outcome = trial.run(current_app.extensions["lawflow.sql"], engine(), files, scenario,
                                actor=g.user.username, documents=False)
            check["changes"] = trial.compare(scenario.get("expected") or {}, outcome)
            if outcome.failed_step is not None:
                check["problem"] = _("第 %(n)s 步无法运行：%(problem)s", n=outcome.failed_step,
                                     problem=engine_text(outcome.failure))
        except DataValidationError as exc:
            check["problem"] = "；".join(f"{e.field}：{engine_text(e)}" for e in exc.errors)
        except EngineError as exc:
            check["problem"] = engine_text(exc)
        checks.append(check)
    return checks


def _save(draft_id: int, scenario: dict, outcome) -> int | None:
    """Keep the scenario with its outcome in the draft; a refused name or a published draft changes nothing."""
    try:
        path = trial.scenario_path(scenario["process"], request.form.get("t_name", "").strip())
        drafts.put(session(), engine(), draft_id, path, trial.scenario_file(scenario, outcome), actor=g.user.username)
    except DataValidationError as exc:
        return refuse(exc, "；".join(engine_text(e) for e in exc.errors))
    except EngineError as exc:
        return refuse(exc)
    flash(_("已保存测试场景 %(path)s", path=path), "ok")
    return None


def _schema_for(task: str, text: str) -> dict:
    """The open task's form as the page showed it (only used to read the posted fields; the engine checks the data
    against the draft's own form)."""
    try:
        schema = json.loads(text)
    except ValueError:
        return {"type": "object", "properties": {}}
    return schema if isinstance(schema, dict) else {"type": "object", "properties": {}}


@bp.post("/drafts/<int:draft_id>/trial/document")
@policy_required
def trial_document(draft_id: int):
    """One document of the try-run, filled in memory, as a download."""
    db = session()
    files = drafts.files(db, drafts.get(db, draft_id).id)
    scenario = _posted_scenario()
    try:
        outcome = trial.run(current_app.extensions["lawflow.sql"], engine(), files, scenario, actor=g.user.username)
        index = int(request.form.get("t_doc", "-1"))
        doc = outcome.documents[index] if 0 <= index < len(outcome.documents) else None
    except (EngineError, ValueError) as exc:
        if isinstance(exc, EngineError):
            refuse(exc)
        doc = None
    if doc is None or not doc["content"]:
        flash(_("该文书未能生成"), "error")
        return redirect(url_for("policy.trial.trial_page", draft_id=draft_id))
    return send_file(io.BytesIO(doc["content"]), download_name=f"试运行-{doc['name']}.docx", as_attachment=True,
                     mimetype=DOCX)


def _page(draft, processes, scenarios, orgs, scenario, *, outcome=None, changes=None, posted=None, errors=None,
          ran_scenario=None, checks=None):
    db = session()
    form = None
    if outcome is not None and outcome.open_task is not None:
        schema = outcome.open_task["schema"]
        shown = posted if posted is not None else outcome.open_task["prefill"]
        form = {"task": outcome.open_task, "schema_json": json.dumps(schema, ensure_ascii=False),
                "fields": formfields.build(schema, shown, errors or {}, directory.choices(db, schema))}
    return render_template("policy/trial.html", draft=draft, processes=processes, scenarios=scenarios, orgs=orgs,
                           scenario=scenario, steps_json=json.dumps(scenario.get("steps") or [], ensure_ascii=False),
                           outcome=outcome, changes=changes, form=form, form_error=(errors or {}).get(""),
                           ran_scenario=ran_scenario, checks=checks, moment=_moment)


def _moment(text: str) -> str:
    """An ISO moment as China time, to the minute."""
    try:
        return datetime.fromisoformat(text).astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return text or ""
