"""HTML pages for staff: processes, cases, a case's tasks and history."""
from __future__ import annotations

import csv
import io
from itertools import islice
from datetime import date, datetime, time, timedelta

from flask import (
    Blueprint, Flask, Response, abort, current_app, flash, g, redirect, render_template, request, send_file, stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select

from engine.core import (
    people, scope, Bundle, Case, DataValidationError, EngineError, InvalidState, NotAllowed, Organization, User,
)
from engine.definitions import bundles
from engine.records import documents, draws, history
from engine.runtime import cases
from engine.time import CHINA_TZ
from engine.work import batch, case_status, casework, plain, tasks, worklists


from . import campaign, standards
from .draw_view import draw_view
from .readable import field_value, local_moment
from .auth import is_policy, login_required
from .csv_files import cell
from .database import session
from .refusal import refuse
from .workflow import engine
from .engine_text import TEXTS, engine_text, field_name

bp = Blueprint("pages", __name__)


ACTION_LABELS = {
    "case_started": "创建案件", "case_completed": "办结", "case_failed": "出错", "case_org_changed": "移交办理机构",
    "case_resumed": "恢复", "case_suspended": "挂起", "case_terminated": "终止", "deadlines_recomputed": "期限重算",
    "document_requested": "生成文书", "message_received": "收到消息", "message_thrown": "发出消息", "notified": "发送通知",
    "task_completed": "办理", "timers_checked": "期限检查", "case_copied": "抄送", "commented": "意见",
    "draft_saved": "暂存草稿", "task_claimed": "签收", "task_delegated": "委派", "task_released": "退回待签收",
    "task_resolved": "交回委派", "task_transferred": "转办", "task_urged": "催办",
    "case_migrated": "迁移到新版本", "case_retried": "恢复运行", "path_advanced": "流程推进", "path_recorded": "流程记录",
    "draw_published": "公开抽取结果",
    # cases that start and message other cases, and score sheets (issue 16)
    "cases_started": "发起参与案件", "case_message_sent": "向其他案件发出消息",
    "case_message_not_waiting": "收到消息但不在等待", "score_override": "评分与系统记录不一致",
    # work that stays with its handler (issue 18)
    "task_assigned": "自动分派", "task_left_to_group": "未能自动分派",
    # system administration (issue 22)
    "admin.org_created": "新增机构", "admin.org_changed": "修改机构", "admin.user_created": "新增用户",
    "admin.user_changed": "修改用户", "admin.password_reset": "重置密码", "admin.user_unlocked": "解除登录锁定",
    "admin.password_changed": "修改密码", "admin.token_created": "新建令牌", "admin.token_revoked": "吊销令牌",
    "bundle_published": "发布流程定义",
    # sign-in through the province's identity provider (issue 22, web/oidc.py)
    "sign_in.oidc": "统一身份认证登录", "sign_in.oidc_refused": "统一身份认证登录被拒绝",
    "admin.totp_enrolled": "启用动态验证码", "admin.totp_reset": "重置动态验证码", "admin.password_set": "设置密码",
}
ACTION_LABELS["admin.calendar_entered"] = "录入节假日安排"      # the working-day calendar page (issue 22)
# 系统管理 · 角色 and the Excel import of organisations and users (issue 22)
ACTION_LABELS.update({"admin.role_created": "新增角色", "admin.role_deleted": "删除角色",
                      "admin.orgs_imported": "导入机构", "admin.users_imported": "导入用户"})

STATUS_LABELS = {code: TEXTS[label.code] for code, label in cases.STATUS_LABELS.items()}     # the Chinese source


def init_app(app: Flask) -> None:
    """Register the staff pages, the health check and the date filters they use."""
    app.register_blueprint(bp)
    app.jinja_env.globals["status_labels"] = STATUS_LABELS
    app.jinja_env.globals["status_label"] = status_label
    app.jinja_env.globals["action_label"] = lambda code: _(ACTION_LABELS.get(code, code))
    app.jinja_env.filters["local"] = local_moment
    app.jinja_env.filters["field_value"] = field_value
    app.jinja_env.globals["person"] = person
    app.jinja_env.globals["event_target"] = event_target
    app.jinja_env.globals["engine_text"] = engine_text
    app.jinja_env.globals["field_name"] = field_name


def event_target(event) -> str:
    """Whom or what a recorded operation went to, as people read it: the organisation a case moved to by its name,
    the version a case migrated to, else the people it names."""
    to = event.detail.get("to")
    if event.action == "case_org_changed":
        found = session().scalar(select(Organization.name).where(Organization.code == to))
        return found or str(to)
    if event.action == "case_migrated":
        return f"v{to}"
    return "、".join(person(name) for name in ([to] if isinstance(to, str) else to or []))


def status_label(code: str) -> str:
    """A case status as the interface names it (translated once per request: a list shows it on every row)."""
    shown = g.setdefault("status_labels_shown", {})
    if code not in shown:
        shown[code] = _(STATUS_LABELS.get(code, code))
    return shown[code]




_ACTORS = {"system": "系统", "public": "公众（网上提交）", "timer": "系统（期限届满）", "cli": "系统（命令行部署）",
           "calendar": "系统（节假日安排更新）"}


def person(username: str | None) -> str:
    """A username as people read it: the person's name (looked up once per request), else the username."""
    if not username:
        return ""
    names = g.setdefault("person_names", {})
    if username not in names:
        know_people(session(), [username])
    return names[username]


def know_people(db, usernames) -> None:
    """Look up the names `person` will be asked for, all in one query (a page names many people)."""
    names = g.setdefault("person_names", {})
    wanted = {u for u in usernames if u and u not in names}
    asked = sorted(u for u in wanted if isinstance(u, str) and u not in _ACTORS)
    found = dict(db.execute(select(User.username, User.display_name).where(User.username.in_(asked))).all()) \
        if asked else {}
    for username in wanted:
        names[username] = found[username] if username in found else (
            _(_ACTORS[username]) if username in _ACTORS else username)


@bp.get("/healthz")
def healthz():
    """Liveness and database check."""
    session().execute(select(1))
    return {"status": "ok"}


@bp.get("/")
@login_required
def index():
    """Processes with their published version, the running cases of my organisation subtree, and what I may start."""
    db = session()
    definitions = bundles.latest_definitions(db)
    counts = worklists.running_counts(db, g.user)
    versions = list(db.scalars(select(Bundle).order_by(Bundle.version.desc()).limit(10)))
    startable = {d.process_key for d in casework.startable(db, g.user)}
    return render_template("index.html", definitions=definitions, counts=counts, versions=versions,
                           startable=startable)


@bp.route("/start/<process_key>", methods=("GET", "POST"))
@login_required
def start(process_key: str):
    """发起: start a case (a complaint received by letter, visit or telephone, say) in an organisation of mine;
    then straight to its first task if it is mine to do."""
    db, eng = session(), engine()
    definition = next((d for d in casework.startable(db, g.user) if d.process_key == process_key), None)
    if definition is None:
        abort(404)
    orgs = scope.organizations(db, g.user)
    errors, chosen = {}, request.form.get("org", g.user.org.code)
    if request.method == "POST":
        try:
            case = casework.start_as(eng, db, g.user, process_key, chosen)
        except DataValidationError as exc:
            refuse(exc, engine_text(exc))
            errors = {e.field: engine_text(e) for e in exc.errors}
        except EngineError as exc:
            refuse(exc)
        else:
            flash(_("已发起：%(number)s", number=case.business_number or case.id), "ok")
            mine = [t for t in cases.case_tasks(db, case.id, "ready") if people.is_candidate(db, g.user, t)]
            if mine:
                return redirect(url_for("work.task_page", task_id=mine[0].id))
            return redirect(url_for("pages.case_detail", case_id=case.id))
    return render_template("start.html", definition=definition, orgs=orgs, chosen=chosen, errors=errors), \
        422 if errors else 200


@bp.get("/cases")
@login_required
def case_list():
    """Case search across processes, within the user's organisation subtree."""
    db = session()
    args, found = _search(db, cursor=request.args.get("cursor"))
    steps = worklists.current_steps(db, found)
    return render_template("cases.html", cases=found, args=args, orgs=scope.organizations(db, g.user), steps=steps,
                           next_cursor=worklists.case_cursor(found, current_app.config["LIST_PAGE_SIZE"]),
                           batch_receivers=batch.receivers_of(engine(), db, g.user,
                                                              [t for each in steps.values() for t in each]),
                           args_present={k: v for k, v in args.items() if v},
                           processes=[(d.process_key, d.name) for d in bundles.latest_definitions(db)])


def _search(db, cursor: str | None = None) -> tuple[dict, list[Case]]:
    """The case search's arguments from the query string, and the cases they find in the user's subtree (the page
    after `cursor`)."""
    args, filters = _search_filters()
    return args, worklists.search_cases(db, g.user, **filters, limit=current_app.config["LIST_PAGE_SIZE"],
                                        cursor=cursor)


def _search_filters() -> tuple[dict, dict]:
    """The case search's arguments from the query string, and as `search_cases` takes them."""
    args = {k: request.args.get(k) or None for k in ("process", "status", "q", "org", "since", "until")}
    return args, dict(process_key=args["process"], status=args["status"], q=args["q"], org_code=args["org"],
                      since=day_start(args["since"]), until=day_start(args["until"], 1))


@bp.get("/cases.csv")
@login_required
def case_export():
    """The case search as a CSV file for Excel (UTF-8 with a byte-order mark): the same filters and the same
    organisation scope, every case they find, streamed page by page; with one process chosen, its declared fields
    as further columns."""
    db, (args, filters) = session(), _search_filters()
    g.user.org.path         # loaded now: the rows stream after the request's teardown has let the user go
    return case_csv(lambda: worklists.all_cases(db, g.user, **filters), with_fields=bool(args["process"]))


EXPORT_BATCH = 500      # cases whose fields are read together: a few queries per batch, none per row


def case_csv(found, with_fields: bool):
    """Cases as a CSV download streamed batch by batch (number, title, process, organisation, status, times;
    `with_fields`: their declared fields as further columns). `found` is a list, or a function that gives the
    cases afresh (read twice with fields: first for the columns), so a year of cases is never held at once."""
    again = found if callable(found) else (lambda: found)
    db = session()
    extra = casework.field_columns(db, again()) if with_fields else {}

    def lines():
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([_("编号"), _("标题"), _("流程"), _("办理机构"), _("状态"), _("创建时间"), _("更新时间"),
                         *extra.values()])
        yield "\ufeff" + out.getvalue()
        try:
            cases_found = iter(again())
            while page := list(islice(cases_found, EXPORT_BATCH)):
                out.seek(0)
                out.truncate()
                shown = _export_fields(db, page) if extra else {}
                for case in page:
                    fields = {name: value for name, _title, value in shown.get(case.id, ())}
                    writer.writerow([cell(v) for v in (
                        case.business_number or case.id, case.title or "", case.definition.name,
                        case.org.name if case.org else "", status_label(case.status), local_moment(case.created_at),
                        local_moment(case.updated_at),
                        *(field_value(fields[name]) if name in fields else "" for name in extra))])
                yield out.getvalue()
        finally:
            if callable(found):
                db.close()      # the request's teardown came before the rows: the session they used ends here

    filename = f"cases-{engine().now().astimezone(CHINA_TZ):%Y%m%d}.csv"
    body = stream_with_context(lines()) if callable(found) else "".join(lines())    # a list: written at once
    return Response(body, headers={
        "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": f"attachment; filename={filename}"})


def _export_fields(db, page: list) -> dict[int, list]:
    """A batch of cases' declared fields as an export shows them (keys by name, ID numbers masked), by case id."""
    fields = casework.cases_fields(db, page)
    return plain.readable_all(db, [(case, fields[case.id]) for case in page], full=False)


def day_start(text: str | None, plus: int = 0):
    """The start of a day given as YYYY-MM-DD (China time), optionally some days later; None if absent or bad."""
    try:
        day = date.fromisoformat(text) if text else None
    except ValueError:
        return None
    return datetime.combine(day + timedelta(days=plus), time(), CHINA_TZ) if day else None


@bp.get("/cases/<int:case_id>")
@login_required
def case_detail(case_id: int):
    """A case: summary, its diagram with the path taken, deadlines with their legal basis, timeline, documents."""
    db, eng = session(), engine()
    case = scope.scoped_case(db, g.user, case_id)
    worklists.read_copies_of(db, g.user, case_id, eng.now())
    all_tasks = cases.case_tasks(db, case_id)
    waiting = cases.waiting_messages(eng, db, case_id)
    held = people.holders(db, [t for t in all_tasks if not t.completed_by])    # the others show who did them
    events = history.case_history(db, case_id)
    know_people(db, [t.completed_by for t in all_tasks] + [e.actor for e in events]
                + [name for e in events for name in _named_in(e)])
    return render_template(
        "case.html", case=case, tasks=[(t, held.get(t.id, [])) for t in all_tasks], all_tasks=all_tasks,
        path=history.case_path(db, case_id), history=events,
        documents=documents.case_documents(db, case_id), legal=casework.element_documentation(eng, case),
        related=casework.related(db, case, g.user), actions=casework.message_actions(eng, db, case, g.user, waiting),
        colleagues=tasks.colleagues(db, case),
        current=[t.element_id for t in all_tasks if t.status == "ready"],
        draws=[draw_view(d) for d in draws.draws_of_case(db, case_id)], may_publish=g.user.org_id == case.org_id,
        sheets=standards.completed_sheets(eng, db, case, all_tasks), participants=campaign.table_of(case),
        participant_args=request.args.to_dict())


def _named_in(event) -> list[str]:
    """The usernames a recorded operation went to (`event_target` shows them by name)."""
    to = event.detail.get("to") if event.action not in ("case_org_changed", "case_migrated") else None
    return [to] if isinstance(to, str) else [n for n in to if isinstance(n, str)] if isinstance(to, list) else []


@bp.get("/cases/<int:case_id>/diagram.bpmn")
@login_required
def case_diagram(case_id: int):
    """The BPMN file of the version the case runs on (drawn by bpmn-js on the case page)."""
    db = session()
    case = scope.scoped_case(db, g.user, case_id)
    content = bundles.bundle_file(db, case.definition.bundle_id, case.definition.file_path)
    return content, 200, {"Content-Type": "application/xml; charset=utf-8"}


@bp.post("/cases/<int:case_id>/actions/<name>")
@login_required
def case_action(case_id: int, name: str):
    """Send one of the messages the case waits for (e.g. a leader takes the case over)."""
    db = session()
    case = scope.scoped_case(db, g.user, case_id)
    try:
        label = casework.send_action(engine(), db, case, g.user, name, request.form.get("note", ""))
        flash(_("已办理：%(label)s", label=label), "ok")
    except (NotAllowed, InvalidState) as exc:
        refuse(exc)
    return redirect(url_for("pages.case_detail", case_id=case_id))


@bp.post("/cases/<int:case_id>/retry")
@login_required
def case_retry(case_id: int):
    """恢复运行: policy staff run a case in error again from its last good state."""
    db = session()
    scope.scoped_case(db, g.user, case_id)
    if not is_policy(g.user):
        abort(403)
    try:
        case_status.retry_case(engine(), db, case_id, actor=g.user.username, reason=request.form.get("reason", ""))
        flash(_("案件已恢复运行"), "ok")
    except EngineError as exc:
        refuse(exc)
    return redirect(url_for("pages.case_detail", case_id=case_id))


@bp.get("/cases/<int:case_id>/documents/<int:document_id>")
@login_required
def case_document(case_id: int, document_id: int):
    """Download a generated document of a visible case."""
    db = session()
    scope.scoped_case(db, g.user, case_id)
    doc = documents.document(db, case_id, document_id)
    return send_file(io.BytesIO(doc.content), download_name=doc.filename, as_attachment=True,
                     mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document")


# Random draws (双随机一公开) on the case page: 复核 and 公开 (part "draws", issue 16).
@bp.post("/cases/<int:case_id>/draws/<int:draw_id>/verify")
@login_required
def draw_verify(case_id: int, draw_id: int):
    """复核: run a recorded draw of a visible case again from its pool, criteria and seed, and say whether the
    result is the one recorded."""
    db = session()
    scope.scoped_case(db, g.user, case_id)
    try:
        draws.get(db, draw_id, case_id)
        same = draws.verify(db, draw_id)
    except EngineError as exc:
        refuse(exc)
    else:
        if same:
            flash(_("抽取记录 %(id)s 复核一致：按记录的备选范围、条件和种子重新抽取，结果相同", id=draw_id), "ok")
        else:
            flash(_("抽取记录 %(id)s 复核不一致：重新抽取的结果与记录不同", id=draw_id), "error")
    return redirect(url_for("pages.case_detail", case_id=case_id) + f"#draw-{draw_id}")


@bp.post("/cases/<int:case_id>/draws/<int:draw_id>/publish")
@login_required
def draw_publish(case_id: int, draw_id: int):
    """公开: staff of the case's organisation publish a draw's record."""
    db = session()
    scope.scoped_case(db, g.user, case_id)
    try:
        draws.publish(db, draw_id, g.user, engine().now(), case_id)
        flash(_("抽取结果已公开"), "ok")
    except EngineError as exc:
        refuse(exc)
    return redirect(url_for("pages.case_detail", case_id=case_id) + f"#draw-{draw_id}")
