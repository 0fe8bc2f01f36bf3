"""Rules kept in git, deployed by API (issue 21): drafts (created from a version or a zip, their files read and
written), validation, the diff against the version a draft started from, publish, rollback, export, and the
migration of running cases with its preview — what the 流程定义 pages do, for a bureau's own pipeline. Policy staff
only (the same role as the pages), through the same engine functions, so the checks and the audit are the same."""
from __future__ import annotations

from flask import Response, abort, current_app, g, request
from flask.views import MethodView
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from engine.core import Bundle, BundleDraft, Case, DataValidationError, EngineError, FieldError, ProcessDefinition
from engine.definitions import bundle_diff, bundles, drafts
from engine.runtime import migration
from engine.work import trial

from ..auth import is_policy
from ..database import session
from ..engine_text import engine_text
from ..workflow import engine
from . import Blueprint, authenticate
from .schemas import Strict

blp = Blueprint("api_rules", __name__, description="流程定义：草稿、校验、差异、发布、回退、迁移")


@blp.before_request
def _policy_only():
    authenticate()
    if not is_policy(g.user):
        abort(403, description="仅政策法规人员可以修改流程定义")


class RuleDraftIn(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    base_version = fields.Integer(load_default=None, allow_none=True,
                                  metadata={"description": "从哪个版本开始；缺省为当前生效版本"})


class RuleImportQuery(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": "草稿名称；请求体为 processes/ + forms/ 结构的 zip 文件"})


class PublishNoteIn(Strict):
    note = fields.String(load_default="", validate=validate.Length(max=500))


class DiffQuery(Strict):
    against = fields.Integer(metadata={"description": "与哪个版本比较；缺省为草稿的起始版本"})


class MigrationQuery(Strict):
    process = fields.String(required=True, validate=validate.Length(min=1, max=100))
    to = fields.Integer(required=True, metadata={"description": "迁移到的版本号"})


class MigrationIn(MigrationQuery):
    cases = fields.List(fields.Integer(), required=True, validate=validate.Length(min=1, max=1000),
                        metadata={"description": "要迁移的案件编号（id）"})


class DraftOut(Schema):
    id = fields.Integer()
    name = fields.String()
    base_version = fields.Integer(allow_none=True)
    published_version = fields.Integer(allow_none=True)
    created_by = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    files = fields.List(fields.Dict(), metadata={"description": "path、size（字节）"})


class ProblemOut(Schema):
    file = fields.String()
    element = fields.String(allow_none=True)
    line = fields.Integer(allow_none=True)
    severity = fields.String()
    message = fields.String()


class SavedOut(Schema):
    saved = fields.Boolean()
    problems = fields.List(fields.Nested(ProblemOut))


class PublishedOut(Schema):
    version = fields.Integer()
    content_hash = fields.String()
    note = fields.String(allow_none=True)


@blp.route("/drafts")
class Drafts(MethodView):
    @blp.response(200, DraftOut(many=True))
    def get(self):
        """Drafts, newest first (without their file lists)."""
        db = session()
        return [_draft(d, None) for d in db.scalars(select(BundleDraft).order_by(BundleDraft.id.desc()).limit(200))]

    @blp.arguments(RuleDraftIn)
    @blp.response(201, DraftOut)
    def post(self, body):
        """A new draft holding a copy of a version's files (the active version by default)."""
        db = session()
        draft = drafts.create(db, engine(), actor=g.user.username, name=body["name"], base_version=body["base_version"])
        return _draft(draft, drafts.files(db, draft.id))


@blp.route("/drafts/import")
class DraftImport(MethodView):
    @blp.arguments(RuleImportQuery, location="query")
    @blp.response(201, DraftOut)
    def post(self, args):
        """A new draft from a zip of processes/ + forms/ (the request body); a damaged or oversized zip is refused
        and nothing is stored."""
        db = session()
        draft = drafts.import_zip(db, engine(), request.get_data(), actor=g.user.username, name=args["name"])
        return _draft(draft, drafts.files(db, draft.id))


@blp.route("/drafts/<int:draft_id>")
class Draft(MethodView):
    @blp.response(200, DraftOut)
    def get(self, draft_id: int):
        """A draft with the path and size of each of its files."""
        db = session()
        return _draft(drafts.get(db, draft_id), drafts.files(db, draft_id))


@blp.route("/drafts/<int:draft_id>/files/<path:path>")
class DraftFile(MethodView):
    def get(self, draft_id: int, path: str):
        """One file of the draft, as stored."""
        db = session()
        drafts.get(db, draft_id)
        content = drafts.files(db, draft_id).get(path)
        if content is None:
            abort(404, description="草稿中没有这个文件")
        return Response(content, mimetype="application/octet-stream", headers={"X-Content-Type-Options": "nosniff"})

    @blp.response(200, SavedOut)
    def put(self, draft_id: int, path: str):
        """Write one file (the request body; a new path adds it), then answer every problem of the draft."""
        db = session()
        drafts.put(db, engine(), draft_id, path, request.get_data(), actor=g.user.username)
        return {"saved": True, "problems": _problems(drafts.validate(db, engine(), draft_id))}

    @blp.response(204)
    def delete(self, draft_id: int, path: str):
        """Remove one file from the draft."""
        drafts.remove(session(), engine(), draft_id, path)


@blp.route("/drafts/<int:draft_id>/problems")
class DraftProblems(MethodView):
    @blp.response(200, ProblemOut(many=True))
    def get(self, draft_id: int):
        """Every problem of the draft (file, element, line); a draft with no `error` can be published."""
        db = session()
        drafts.get(db, draft_id)
        return _problems(drafts.validate(db, engine(), draft_id))


@blp.route("/drafts/<int:draft_id>/diff")
class DraftDiff(MethodView):
    @blp.arguments(DiffQuery, location="query")
    def get(self, args, draft_id: int):
        """What the draft changes against a version (the one it started from by default), file by file and element
        by element, each aspect before and after."""
        db = session()
        draft = drafts.get(db, draft_id)
        base_id = _version_id(db, args["against"]) if "against" in args else draft.base_bundle_id
        before = bundles.bundle_files(db, base_id) if base_id else {}
        return {"changes": [_file_diff(d) for d in bundle_diff.diff(before, drafts.files(db, draft_id))]}


@blp.route("/drafts/<int:draft_id>/publish")
class DraftPublish(MethodView):
    @blp.arguments(PublishNoteIn)
    @blp.response(201, PublishedOut)
    def post(self, body, draft_id: int):
        """Validate and publish as a new version that new cases start on; a draft with a blocking problem is
        refused with every problem, and the active version stays."""
        bundle = drafts.publish_draft(session(), engine(), draft_id, actor=g.user.username, note=body["note"])
        return {"version": bundle.version, "content_hash": bundle.content_hash, "note": bundle.note}


@blp.route("/bundles/<int:version>/republish")
class Republish(MethodView):
    @blp.arguments(PublishNoteIn)
    @blp.response(200, PublishedOut)
    def post(self, body, version: int):
        """Rollback: make an earlier version the active one again."""
        bundle = drafts.republish(session(), engine(), version, actor=g.user.username, note=body["note"])
        return {"version": bundle.version, "content_hash": bundle.content_hash, "note": bundle.note}


@blp.route("/bundles/<int:version>/export")
class Export(MethodView):
    def get(self, version: int):
        """A version's files as a zip of processes/ + forms/ (to commit to a repository)."""
        return Response(drafts.export_zip(session(), version), mimetype="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="lawflow-v{version}.zip"'})


@blp.route("/migrations")
class Migrations(MethodView):
    @blp.arguments(MigrationQuery, location="query")
    def get(self, args):
        """For each running case of the process on another version: whether it can move to version `to`, why
        not, and the deadlines that would change (a dry run: nothing is saved)."""
        db = session()
        return {"cases": [_preview(db, c, args["to"]) for c in _running(db, args["process"], args["to"])]}

    @blp.arguments(MigrationIn)
    def post(self, body):
        """Move the chosen cases, each in a transaction of its own: the refused ones say why and stay as they were."""
        db = session()
        chosen = set(body["cases"])
        moved, refused = [], []
        for case in [c for c in _running(db, body["process"], body["to"]) if c.id in chosen]:
            try:
                migration.migrate(engine(), db, case.id, migration.target_for(db, case, body["to"]),
                                  actor=g.user.username)
                moved.append(case.id)
            except EngineError as exc:
                db.rollback()
                refused.append({"case": case.id, "reason": engine_text(exc)})
        unknown = sorted(chosen - set(moved) - {r["case"] for r in refused})
        refused += [{"case": c, "reason": _("不是该流程中可迁移的办理中案件")} for c in unknown]
        return {"moved": moved, "refused": refused}


def _draft(draft: BundleDraft, content: dict[str, bytes] | None) -> dict:
    return {"id": draft.id, "name": draft.name, "base_version": draft.base.version if draft.base else None,
            "published_version": draft.published.version if draft.published else None,
            "created_by": draft.created_by, "created_at": draft.created_at, "updated_at": draft.updated_at,
            "files": [{"path": p, "size": len(c)} for p, c in sorted(content.items())] if content is not None else []}


def _problems(problems) -> list[dict]:
    return [{"file": p.file, "element": p.element, "line": p.line, "severity": p.severity, "message": engine_text(p)}
            for p in problems]


def _text(value):
    return engine_text(value) if value is not None and not isinstance(value, str) else value


def _file_diff(found) -> dict:
    def change(c):
        return {"key": c.key, "label": c.label, "kind": c.kind,
                "aspects": [{"what": _text(what), "before": _text(before), "after": _text(after)}
                            for what, before, after in c.aspects]}
    return {"path": found.path, "status": found.status, "added": [change(c) for c in found.added],
            "removed": [change(c) for c in found.removed], "changed": [change(c) for c in found.changed]}


def _version_id(db, version: int) -> int:
    found = db.scalar(select(Bundle.id).where(Bundle.version == version))
    if found is None:
        abort(404, description="版本不存在")
    return found


def _running(db, process: str, to_version: int) -> list[Case]:
    return list(db.scalars(select(Case).join(ProcessDefinition).join(Bundle)
                           .where(Case.process_key == process, Case.status.in_(migration.MIGRATABLE),
                                  Bundle.version != to_version).order_by(Case.id)))


def _preview(db, case: Case, to_version: int) -> dict:
    try:
        found = migration.preview(engine(), db, case, migration.target_for(db, case, to_version))
    except EngineError as exc:
        return {"case": case.id, "business_number": case.business_number, "can_migrate": False,
                "reasons": [engine_text(exc)], "deadline_changes": [], "warnings": []}
    return {"case": case.id, "business_number": found.business_number, "from_version": found.from_version,
            "to_version": found.to_version, "can_migrate": found.can_migrate,
            "reasons": [_text(r) for r in found.reasons], "warnings": [_text(w) for w in found.warnings],
            "deadline_changes": [{"what": _text(w), "before": b, "after": a} for w, b, a in found.deadline_changes]}


# ---------------------------------------------------------------- trying a draft (issue 21)

class TrialIn(Strict):
    scenario = fields.Dict(load_default=None, allow_none=True,
                           metadata={"description": "测试场景：process、org、start、data、steps（同 forms/<流程>/scenarios/*.json）"})
    path = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300),
                         metadata={"description": "或草稿中已保存的测试场景的路径"})


@blp.route("/drafts/<int:draft_id>/trial")
class DraftTrial(MethodView):
    @blp.arguments(TrialIn)
    def post(self, body, draft_id: int):
        """Run one test case on the draft by the real engine, in a transaction that is rolled back: the route, each
        task with its deadline, the documents and messages, and (for a saved scenario) what changed since it was
        recorded. Nothing is stored."""
        db = session()
        drafts.get(db, draft_id)
        files = drafts.files(db, draft_id)
        if body.get("path"):
            if body["path"] not in files:
                abort(404, description="草稿中没有这个测试场景")
            scenario = trial.parse_scenario(files[body["path"]], body["path"])
        elif body.get("scenario") is not None:
            scenario = trial.parse_scenario(body["scenario"], "scenario")
        else:
            raise DataValidationError("请给出测试场景或其路径", [FieldError("scenario", "请给出测试场景或其路径", "required")])
        outcome = trial.run(current_app.extensions["lawflow.sql"], engine(), files, scenario, actor=g.user.username,
                            documents=False)
        return _outcome(outcome, trial.compare(scenario.get("expected") or {}, outcome))

    def get(self, draft_id: int):
        """Every scenario saved with the draft run again (a regression check for rules): for each, what changed from
        its recorded outcome, or why it could not run."""
        db = session()
        drafts.get(db, draft_id)
        files = drafts.files(db, draft_id)
        checks = []
        for path in trial.scenario_paths(files):
            try:
                scenario = trial.parse_scenario(files[path], path)
                outcome = trial.run(current_app.extensions["lawflow.sql"], engine(), files, scenario,
                                    actor=g.user.username, documents=False)
                checks.append({"path": path, "changes": trial.compare(scenario.get("expected") or {}, outcome),
                               "failed_step": outcome.failed_step,
                               "problem": engine_text(outcome.failure) if outcome.failure else None})
            except EngineError as exc:
                checks.append({"path": path, "changes": [], "failed_step": None, "problem": engine_text(exc)})
        return {"scenarios": checks, "changed": sum(1 for c in checks if c["changes"] or c["problem"])}


def _outcome(outcome, changes: list[dict]) -> dict:
    return {"process": outcome.process, "start": outcome.start, "clock": outcome.clock, "status": outcome.status,
            "number": outcome.number, "steps_done": outcome.steps_done, "failed_step": outcome.failed_step,
            "failure": engine_text(outcome.failure) if outcome.failure else None,
            "route": [r["name"] for r in outcome.route],
            "tasks": [{"name": t["name"], "status": t["status"], "due_day": t.get("due_day")} for t in outcome.tasks],
            "documents": [d["name"] for d in outcome.documents], "messages": [m["title"] for m in outcome.messages],
            "summary": outcome.summary(), "changes": changes}
