"""Report definitions for policy staff: the structured editor of a draft's `forms/**/*.report.json` (title,
process, grouping, filters, measures, ranking, chart, organisation chart, roles, public) and "new report" in a
draft. The editor is offered what the draft itself declares: its processes, each one's reportable fields with their
titles and the values its forms allow, and its user tasks; it saves through the endpoint every file uses and shows
the draft's located problems beside the field they concern."""
from __future__ import annotations

import json
import re

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from lxml import etree
from sqlalchemy import select

from engine.core import Role, vocabulary
from engine.definitions import drafts, limit_references, report_schema, tree_checks

from .auth import policy_required
from .database import session
from .engine_text import engine_text
from .jsonio import read_body

BPMN, SPIFF = tree_checks.BPMN_NS, tree_checks.SPIFF_NS

bp = Blueprint("reports", __name__)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
_NAME = re.compile(r"[^a-z0-9_]+")


def editor(draft, path: str, text: str, files: dict[str, bytes]):
    """The structured editor of one report of a draft (a new one when the file does not exist yet)."""
    try:
        report = json.loads(text) if text.strip() else None
    except ValueError:
        report = None
    processes = draft_processes(files)
    if not text.strip():
        report = blank_report(path, processes)
    roles = [{"code": r.code, "name": r.name} for r in session().scalars(select(Role).order_by(Role.code))]
    return render_template("policy/report_editor.html", draft=draft, path=path, text=text,
                           report=report if isinstance(report, dict) else None, processes=processes, roles=roles,
                           kinds=report_schema.KINDS, charts=report_schema.CHARTS,
                           groupings=report_schema.GROUPINGS, statuses=report_schema.STATUSES,
                           new=path not in files)


def blank_report(path: str, processes: list[dict]) -> dict:
    """A new report: a key from the file name, the draft's first process, one count per organisation."""
    stem = path.rsplit("/", 1)[-1].removesuffix(".report.json")
    key = _NAME.sub("_", stem.lower()).strip("_") or "report"
    key = key if key[0].isalpha() else f"r_{key}"
    return {"key": key[:63], "title": "", "process": processes[0]["key"] if processes else "", "groupBy": "@org",
            "measures": [{"name": "received", "label": "", "kind": "count"}]}


def draft_processes(files: dict[str, bytes]) -> list[dict]:
    """Each process the draft's diagrams declare: key, name, reportable fields (name, title, the values the forms
    allow with their labels) and user tasks (id, name), in key order; a diagram that does not parse is left out
    (its own problem says why)."""
    titles, choices = _form_fields(files)
    found = []
    for path in sorted(p for p in files if p.endswith(".bpmn")):
        try:
            tree = etree.fromstring(files[path], _PARSER)
        except etree.XMLSyntaxError:
            continue
        for process in tree.iter(f"{{{BPMN}}}process"):
            props = {p.get("name"): p.get("value") or "" for p in process.findall(
                f"{{{BPMN}}}extensionElements/{{{SPIFF}}}properties/{{{SPIFF}}}property")}
            labels = dict(_pairs(props.get(vocabulary.FIELD_LABELS_PROPERTY, "")))
            valued: dict[str, list[dict]] = {}
            for key, label in _pairs(props.get(vocabulary.VALUE_LABELS_PROPERTY, "")):
                name, _eq, value = key.partition("=")
                valued.setdefault(name.strip(), []).append({"value": value.strip(), "label": label})
            fields = [{"name": name, "title": labels.get(name) or titles.get(name, name),
                       "choices": choices.get(name) or valued.get(name, [])}
                      for name in (f.strip() for f in props.get(vocabulary.REPORTABLE_PROPERTY, "").split(",")) if name]
            tasks = [{"id": t.get("id"), "name": t.get("name") or t.get("id")}
                     for t in process.iter(f"{{{BPMN}}}userTask")]
            found.append({"key": process.get("id"), "name": process.get("name") or process.get("id"),
                          "fields": fields, "tasks": tasks})
    return sorted(found, key=lambda p: p["key"])


def _pairs(text: str) -> list[tuple[str, str]]:
    return [(k.strip(), v.strip()) for k, _, v in (e.partition(":") for e in text.split(",") if e.strip())]


def _form_fields(files: dict[str, bytes]) -> tuple[dict[str, str], dict[str, list[dict]]]:
    """Every form field's title, and the values it allows (`enum`, with `enumNames`; yes/no for a boolean)."""
    titles: dict[str, str] = {}
    choices: dict[str, list[dict]] = {}
    for path in sorted(p for p in files if p.startswith("forms/") and p.endswith(".schema.json")):
        try:
            schema = json.loads(files[path])
        except ValueError:
            continue
        _collect(schema, titles, choices)
    return titles, choices


def _collect(schema, titles: dict, choices: dict) -> None:
    if not isinstance(schema, dict):
        return
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        titles.setdefault(name, str(prop.get("title") or name))
        items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
        options = prop.get("enum") or items.get("enum")
        names = prop.get("enumNames") or items.get("enumNames") or []
        known = choices.setdefault(name, [])
        seen = {c["value"] for c in known}
        if isinstance(options, list):
            for n, value in enumerate(options):
                if value not in seen and not isinstance(value, (dict, list)) and value is not None:
                    known.append({"value": value, "label": str(names[n]) if n < len(names) else str(value)})
                    seen.add(value)
        elif prop.get("type") == "boolean":
            known.extend(c for c in ({"value": True, "label": _("是")}, {"value": False, "label": _("否")})
                         if c["value"] not in seen)
        if not known:
            del choices[name]
        _collect(prop, titles, choices)
        _collect(items, titles, choices)


@bp.get("/drafts/<int:draft_id>/new-report")
@policy_required
def new_report(draft_id: int):
    """Open the editor on a new report file of the draft (named from the given name, under forms/)."""
    drafts.get(session(), draft_id)
    name = _NAME.sub("_", request.args.get("name", "").strip().lower()).strip("_") or "new_report"
    folder = request.args.get("folder", "reports").strip().strip("/") or "reports"
    folder = "/".join(_NAME.sub("_", part.lower()) for part in folder.split("/") if part and part != "..")
    return redirect(url_for("policy.edit_file", draft_id=draft_id, path=f"forms/{folder}/{name}.report.json",
                            new=1))


@bp.post("/drafts/<int:draft_id>/report-preview")
@policy_required
def report_preview(draft_id: int):
    """The report's title, description and column headings as the statistics page shows them: `{limit:…}` from the
    draft's own limits table, an unknown name located by its JSON pointer."""
    try:
        report = read_body(request.get_data() or b"{}")
        if not isinstance(report, dict):
            raise ValueError(_("报表定义必须是 JSON 对象"))
    except ValueError as exc:
        return render_template("policy/_report_preview.html", error=str(exc), report={}, problems=[]), 422
    path = request.args.get("path", "")
    report, problems = limit_references.expanded(drafts.files(session(), draft_id), path, report)
    measures = [m for m in report.get("measures") or [] if isinstance(m, dict)]
    return render_template("policy/_report_preview.html", report=report, measures=measures, error=None,
                           problems=[{"element": p.element, "message": engine_text(p)} for p in problems])
