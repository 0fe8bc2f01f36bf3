"""Time limits for policy staff: a draft's `forms/<folder>/limits.json` edited as a table (value, unit, roll-over,
start and legal basis per row; rows added), saved only when the table and every name its folder's diagrams and
forms use check out, each problem shown beside its row and cell; a refused save changes nothing."""
from __future__ import annotations

import json

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.core import BundleInvalid, EngineError
from engine.definitions import drafts, limit_references, limit_tables

from .auth import policy_required
from .database import session
from .engine_text import engine_text
from .refusal import refuse
from .workflow import engine

bp = Blueprint("limits", __name__)
CELLS = ("name", "label", "value", "unit", "starts", "rolls_over", "basis")


def _table(files: dict[str, bytes], path: str) -> dict | None:
    try:
        table = json.loads(files[path].decode("utf-8-sig"))
    except (KeyError, UnicodeDecodeError, ValueError):
        return None
    return table if isinstance(table, dict) else None


def _page(draft, path: str, rows: list[dict], problems=(), status: int = 200):
    by_cell: dict[tuple[int, str], list[str]] = {}
    other = []
    for problem in problems:
        parts = (problem.element or "").strip("/").split("/")
        if problem.file == path and len(parts) >= 2 and parts[0] == "limits" and parts[1].isdigit():
            by_cell.setdefault((int(parts[1]), parts[2] if len(parts) > 2 else "name"), []).append(engine_text(problem))
        else:
            other.append(problem)
    return render_template("policy/limits_editor.html", draft=draft, path=path, rows=rows, units=limit_tables.UNITS,
                           cells=by_cell, other=other), status


@bp.get("/drafts/<int:draft_id>/limits/<path:path>")
@policy_required
def edit(draft_id: int, path: str):
    """A draft's limits table as a table of cells."""
    db = session()
    found = drafts.get(db, draft_id)
    files = drafts.files(db, draft_id)
    if not limit_tables.is_limits_path(path) or path not in files:
        abort(404)
    table = _table(files, path) or {}
    rows = [r for r in table.get("limits", []) if isinstance(r, dict)] if isinstance(table.get("limits"), list) else []
    return _page(found, path, rows)[0]


@bp.post("/drafts/<int:draft_id>/limits/<path:path>")
@policy_required
def save(draft_id: int, path: str):
    """Save the table when it checks out; otherwise show each problem beside its cell and save nothing."""
    db = session()
    found = drafts.get(db, draft_id)
    files = drafts.files(db, draft_id)
    if not limit_tables.is_limits_path(path) or path not in files:
        abort(404)
    count = min(int(request.form.get("rows", "0") or 0), 500)
    cells = [{name: request.form.get(f"r{i}-{name}", "") for name in CELLS} for i in range(count)]
    table = limit_tables.table_from_cells(_table(files, path), cells)
    content = limit_tables.table_bytes(table)
    problems = limit_references.check_in_bundle({**files, path: content}, path)[1]
    if problems:
        refuse(BundleInvalid(problems), _("期限表有误，未保存（%(count)s 个问题）", count=len(problems)))
        return _page(found, path, table["limits"], problems, 422)
    try:
        drafts.put(db, engine(), draft_id, path, content, actor=g.user.username)
    except EngineError as exc:
        refuse(exc)
        return redirect(url_for("policy.limits.edit", draft_id=draft_id, path=path))
    flash(_("期限表已保存"), "ok")
    return redirect(url_for("policy.limits.edit", draft_id=draft_id, path=path))
