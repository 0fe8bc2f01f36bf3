"""Pages for policy staff: the process catalogue, drafts edited in the browser (diagrams in bpmn-js, forms with a
live preview, tables and templates uploaded), validation on the element, publishing, history, diff and rollback."""
from __future__ import annotations

import io

from flask import (
    Blueprint, Flask, abort, flash, g, jsonify, redirect, render_template, request, send_file, url_for,
)
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import func, select

from engine.core import (
    Bundle, BundleDraft, BundleInvalid, Case, DataValidationError, EngineError, FieldError, ProcessDefinition,
    DirectoryEntry, Publication,
)
from engine.definitions import bundle_diff, bundles, drafts, limit_tables, report_schema, standards
from engine.records import directory
from engine.runtime import migration

from . import formfields, modeler_data, policy_limits, policy_reports, policy_standards, uploads
from . import policy_tables                          # the decision-table editor (dmn-js)
from .auth import is_policy, policy_required
from .jsonio import read_body
from .api.problems import json_refusal
from .database import session
from .refusal import refuse
from .workflow import engine
from .engine_text import engine_text, field_name

bp = Blueprint("policy", __name__, url_prefix="/policy")
bp.register_blueprint(policy_standards.bp)          # policy.standards.*: the standard editor and its workbooks
bp.register_blueprint(policy_reports.bp)            # policy.reports.*: new report definitions
bp.register_blueprint(policy_limits.bp)             # policy.limits.*: the limits table editor


def init_app(app: Flask) -> None:
    """Register the policy pages (only holders of POLICY_ROLE may use them)."""
    app.register_blueprint(bp)
    app.jinja_env.globals["is_policy"] = is_policy
    app.jinja_env.filters["iso_deadline"] = _iso_deadline


def _iso_deadline(value) -> str:
    """An ISO moment from a diagram as the last day it allows (or the text itself if it is not a moment)."""
    from datetime import datetime

    from .deadlines import deadline_label

    try:
        return deadline_label(datetime.fromisoformat(str(value)))
    except ValueError:
        return str(value) if value else "—"


@bp.get("/")
@policy_required
def catalogue():
    """Each process with its active version, how many running cases sit on each version, drafts and history."""
    db = session()
    active = bundles.active_bundle(db)
    running = db.execute(select(ProcessDefinition.process_key, Bundle.version, func.count(Case.id))
                         .join(Case, Case.definition_id == ProcessDefinition.id).join(Bundle)
                         .where(Case.status.in_(("running", "suspended")))
                         .group_by(ProcessDefinition.process_key, Bundle.version)).all()
    per_process: dict[str, list[tuple[int, int]]] = {}
    for key, version, count in running:
        per_process.setdefault(key, []).append((version, count))
    history = db.execute(select(Publication, Bundle).join(Bundle).order_by(Publication.id.desc()).limit(30)).all()
    return render_template(
        "policy/catalogue.html", active=active, definitions=bundles.latest_definitions(db), running=per_process,
        drafts=list(db.scalars(select(BundleDraft).order_by(BundleDraft.id.desc()).limit(30))), history=history,
        versions=list(db.scalars(select(Bundle).order_by(Bundle.version.desc()))))


@bp.post("/drafts")
@policy_required
def new_draft():
    """A draft from the active version (or an uploaded zip of processes/ + forms/)."""
    db, name = session(), request.form.get("name", "")
    upload = request.files.get("zip")
    try:
        if upload and upload.filename:
            draft = drafts.import_zip(db, engine(), uploads.read(upload), actor=g.user.username, name=name or upload.filename)
        else:
            base = request.form.get("base", "")
            draft = drafts.create(db, engine(), actor=g.user.username, name=name,
                                  base_version=int(base) if base.isdigit() else None)
    except DataValidationError as exc:
        refuse(exc, "；".join(f"{field_name(e.field)}：{engine_text(e)}" for e in exc.errors))
        return redirect(url_for("policy.catalogue"))
    return redirect(url_for("policy.draft", draft_id=draft.id))


@bp.get("/drafts/<int:draft_id>")
@policy_required
def draft(draft_id: int):
    """A draft's files, its problems, and publish."""
    db = session()
    found = drafts.get(db, draft_id)
    content = drafts.files(db, draft_id)
    problems = drafts.validate(db, engine(), draft_id) if request.args.get("check") else None
    changes = bundle_diff.diff(bundles.bundle_files(db, found.base_bundle_id), content) if found.base_bundle_id else []
    return render_template("policy/draft.html", draft=found, files=sorted(content), problems=problems,
                           changes=changes, dmn_folders=policy_tables.folders(content))


@bp.post("/drafts/<int:draft_id>/publish")
@policy_required
def publish(draft_id: int):
    """Validate and publish; any problem leaves the active version as it was."""
    db = session()
    try:
        bundle = drafts.publish_draft(db, engine(), draft_id, actor=g.user.username, note=request.form.get("note", ""))
    except BundleInvalid as exc:
        refuse(exc, _("发布失败：%(problem)s，当前生效版本未改变", problem=engine_text(exc)))
        return redirect(url_for("policy.draft", draft_id=draft_id, check=1))
    flash(_("已发布 v%(v)s，新发起的案件将使用此版本", v=bundle.version), "ok")
    return redirect(url_for("policy.catalogue"))


@bp.post("/versions/<int:version>/republish")
@policy_required
def republish(version: int):
    """Rollback: publish an earlier version again."""
    try:
        drafts.republish(session(), engine(), version, actor=g.user.username, note=request.form.get("note", ""))
        flash(_("已重新发布 v%(v)s", v=version), "ok")
    except EngineError as exc:
        refuse(exc)
    return redirect(url_for("policy.catalogue"))


@bp.get("/versions/<int:version>/export.zip")
@policy_required
def export(version: int):
    """A version's files as processes/ + forms/ in a zip."""
    return send_file(io.BytesIO(drafts.export_zip(session(), version)), download_name=f"lawflow-v{version}.zip",
                     as_attachment=True, mimetype="application/zip")


@bp.get("/diff")
@policy_required
def diff():
    """What changed between two versions."""
    db = session()
    older, newer = (request.args.get(k, type=int) for k in ("from", "to"))
    versions = {b.version: b for b in db.scalars(select(Bundle))}
    if older not in versions or newer not in versions:
        abort(404)
    changes = bundle_diff.diff(bundles.bundle_files(db, versions[older].id), bundles.bundle_files(db, versions[newer].id))
    return render_template("policy/diff.html", older=older, newer=newer, changes=changes)


# ---------------------------------------------------------------- editing one file of a draft

@bp.get("/drafts/<int:draft_id>/files/<path:path>")
@policy_required
def edit_file(draft_id: int, path: str):
    """The editor for one file: the modeler for diagrams, the form editor for forms, the table editor for scoring
    standards, the report editor for report definitions, the decision-table editor for DMN, upload for the rest."""
    db = session()
    found = drafts.get(db, draft_id)
    content = drafts.files(db, draft_id)
    if path not in content and not request.args.get("new"):
        abort(404)
    text = content.get(path, b"").decode("utf-8", errors="replace") if not path.endswith((".docx", ".xlsx")) else ""
    if path.endswith(".bpmn"):
        problems = modeler_data.problems(db, engine(), draft_id) if request.args.get("element") else []
        return render_template("policy/modeler.html", draft=found, path=path,
                               choices=modeler_data.choices(db, content, path), problems=problems)
    if path.endswith(".schema.json"):
        kinds = sorted(db.scalars(select(DirectoryEntry.kind).distinct()))       # what x-directory may name
        return render_template("policy/form_editor.html", draft=found, path=path, text=text, directories=kinds)
    if standards.is_standard_path(path):
        return policy_standards.editor(found, path, text)
    if report_schema.is_report_path(path):
        return policy_reports.editor(found, path, text, content)
    if path.endswith(".dmn"):
        return policy_tables.editor(found, path, _dmn_tables(content.get(path, b"")))
    return render_template("policy/upload.html", draft=found, path=path, tables=[])


def _dmn_tables(content: bytes) -> list[dict]:
    """A DMN file's decision tables as rows of text, for a read-only preview."""
    from lxml import etree

    try:
        root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        return [{"name": f"XML 无法解析：{exc.msg}", "inputs": [], "outputs": [], "rules": [], "policy": ""}]
    tables = []
    for decision in root.iter("{*}decision"):
        for table in decision.iter("{*}decisionTable"):
            text = lambda node: (node.findtext("{*}text") or "").strip() if node is not None else ""  # noqa: E731
            tables.append({
                "name": decision.get("name") or decision.get("id"), "policy": table.get("hitPolicy", "UNIQUE"),
                "inputs": [f"{i.get('label') or i.get('id')}（{text(i.find('{*}inputExpression'))}）"
                           for i in table.findall("{*}input")],
                "outputs": [o.get("label") or o.get("name") or o.get("id") for o in table.findall("{*}output")],
                "rules": [[text(e) for e in rule.findall("{*}inputEntry")] + [text(e) for e in rule.findall("{*}outputEntry")]
                          for rule in table.findall("{*}rule")],
            })
    return tables


@bp.get("/drafts/<int:draft_id>/raw/<path:path>")
@policy_required
def raw_file(draft_id: int, path: str):
    """One file of a draft as stored (the modeler loads its diagram from here)."""
    content = drafts.files(session(), draft_id)
    if path not in content:
        abort(404)
    return content[path], 200, {"Content-Type": "application/octet-stream", "X-Content-Type-Options": "nosniff"}


@bp.put("/drafts/<int:draft_id>/files/<path:path>")
@policy_required
def save_file(draft_id: int, path: str):
    """Save one file (the body), then answer every problem of the draft, with file, element and line."""
    db = session()
    problems = None
    try:
        # The form editor asks that a change which breaks the file itself (a pattern RE2 cannot run, …) be refused,
        # each problem on its element; what was wrong before the change does not stop the save.
        if request.args.get("refuse") == "own-problems":
            had = {(p.element, engine_text(p)) for p in drafts.validate(db, engine(), draft_id) if p.file == path}
            problems = drafts.problems_if_put(db, engine(), draft_id, path, request.get_data())
            own = [p for p in problems if p.file == path and p.blocking and (p.element, engine_text(p)) not in had]
            if own:
                return jsonify({"saved": False, "errors": [
                    {"element": p.element, "line": p.line, "message": engine_text(p)} for p in own]}), 422
        drafts.put(db, engine(), draft_id, path, request.get_data(), actor=g.user.username)
    except EngineError as exc:
        return json_refusal(exc)
    problems = drafts.validate(db, engine(), draft_id) if problems is None else problems
    return jsonify({"saved": True, "problems": [
        {"file": p.file, "element": p.element, "line": p.line, "message": engine_text(p), "severity": p.severity}
        for p in problems]})


@bp.post("/drafts/<int:draft_id>/upload")
@policy_required
def upload(draft_id: int):
    """Upload a template, table or any other file into the draft (replacing one with the same path)."""
    db = session()
    upload = request.files.get("file")
    path = request.form.get("path", "") or (f"forms/{upload.filename}" if upload and upload.filename else "")
    try:
        if not upload or not upload.filename:
            raise DataValidationError(_("请选择文件"), [FieldError("file", _("请选择要上传的文件"), "required")])
        drafts.put(db, engine(), draft_id, path, uploads.read(upload), actor=g.user.username)
        flash(_("已上传 %(path)s", path=path), "ok")
    except EngineError as exc:
        refuse(exc)
    return redirect(url_for("policy.draft", draft_id=draft_id))


@bp.post("/drafts/<int:draft_id>/delete")
@policy_required
def delete_file(draft_id: int):
    """Remove a file from the draft."""
    try:
        drafts.remove(session(), engine(), draft_id, request.form.get("path", ""))
        flash(_("已删除"), "ok")
    except EngineError as exc:
        refuse(exc)
    return redirect(url_for("policy.draft", draft_id=draft_id))


@bp.post("/form-preview")
@policy_required
def form_preview():
    """The form as handlers will see it, rendered by the same renderer, from the schema being edited."""
    try:
        schema = read_body(request.get_data() or b"{}")
        if not isinstance(schema, dict):
            raise ValueError(_("表单定义必须是 JSON 对象"))
    except ValueError as exc:
        return f'<p class="field-error" role="alert">{escape(_("JSON 有误：%(problem)s", problem=exc))}</p>', 422
    if request.args.get("draft", type=int):         # `{limit:…}` as the draft's own limits table has it
        files = drafts.files(session(), request.args.get("draft", type=int))
        schema = limit_tables.fill_placeholders(schema, limit_tables.rows_beside(files, request.args.get("path", "")))
    fields = formfields.build(schema, {}, {}, directory.choices(session(), schema))
    return render_template("policy/_preview.html", schema=schema, fields=fields)



# ---------------------------------------------------------------- migrating running cases

@bp.route("/migrate", methods=("GET", "POST"))
@policy_required
def migrate():
    """Preview which running cases of a process can move to a version (and what changes), then move the chosen."""
    db = session()
    process = request.values.get("process", "")
    to_version = request.values.get("to", type=int) or (bundles.active_bundle(db).version if bundles.active_bundle(db) else 0)
    running = list(db.scalars(select(Case).join(ProcessDefinition).join(Bundle)
                              .where(Case.process_key == process, Case.status.in_(migration.MIGRATABLE),
                                     Bundle.version != to_version).order_by(Case.id)))
    if request.method == "POST":
        chosen = {int(v) for v in request.form.getlist("case") if v.isdigit()}
        moved, refused = [], []
        for case in [c for c in running if c.id in chosen]:
            try:
                migration.migrate(engine(), db, case.id, migration.target_for(db, case, to_version),
                                  actor=g.user.username)
                moved.append(case.business_number or str(case.id))
            except EngineError as exc:
                db.rollback()       # mid-request on purpose: the next chosen case moves in a transaction of its own
                refused.append(f"{case.business_number or case.id}：{engine_text(exc)}")
        if moved:
            flash(_("已迁移到 v%(v)s：%(cases)s", v=to_version, cases="、".join(moved)), "ok")
        if refused:
            flash(_("未迁移：%(cases)s", cases="；".join(refused)), "error")
        return redirect(url_for("policy.migrate", process=process, to=to_version))
    previews = []
    for case in running:
        try:
            previews.append(migration.preview(engine(), db, case, migration.target_for(db, case, to_version)))
        except EngineError as exc:
            previews.append(migration.Preview(case.id, case.business_number, case.definition.bundle.version,
                                              to_version, False, [engine_text(exc)]))
    processes = sorted({d.process_key: d.name for d in bundles.latest_definitions(db)}.items())
    return render_template("policy/migrate.html", process=process, to_version=to_version, previews=previews,
                           processes=processes, versions=list(db.scalars(select(Bundle).order_by(Bundle.version.desc()))))


# ---------------------------------------------------------------- trying a draft before publishing

from . import policy_trial  # noqa: E402 - registered on the policy pages: policy.trial.*

bp.register_blueprint(policy_trial.bp)


# ---------------------------------------------------------------- a new decision table in a draft (issue 21)

@bp.post("/drafts/<int:draft_id>/decision-tables")
@policy_required
def new_decision_table(draft_id: int):
    """新建决策表: a new DMN file with one empty decision table, opened in the decision-table editor."""
    return policy_tables.create(draft_id)
