"""月度台账 under 统计: for an organisation of my subtree and any period, every report I may open as one Excel
workbook (a 目录 sheet, then one sheet per report laid out as its own export) and a Word summary filled from the
bundle's `forms/monthly_summary.docx`; and the ledgers the scheduler stored on the first working day of each month
(`build_monthly`), listed for my subtree and downloadable."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from flask import Blueprint, Flask, abort, current_app, g, render_template, send_file, url_for
from flask_babel import gettext as _

from engine.core import NotFound, Organization, User, scope
from engine.records import TemplateFailed
from engine.time import load_calendar
from engine.work import monthly_ledgers, reports

from . import stats_export, stats_view
from .auth import login_required
from .database import session
from .engine_text import engine_text

bp = Blueprint("monthly", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@dataclass
class Ledger:
    """The reports of one ledger as the page shows them, for an organisation and a period."""

    root: Organization
    since: date | None
    until: date | None
    shown: list[dict]

    @property
    def period(self) -> str:
        return self.shown[0]["period"]          # the same for every report: the page's period

    def workbook(self) -> bytes:
        return stats_export.ledger(self.shown, self.root.name, self.period)

    def context(self, today: date) -> dict:
        """What the Word summary is filled with (documented in engine/core/vocabulary.py)."""
        return {"organization": self.root.name, "org_code": self.root.code, "period": self.period,
                "since": self.since.isoformat() if self.since else "",
                "until": self.until.isoformat() if self.until else "", "today": today.isoformat(),
                "reports": [_summary_of(one) for one in self.shown]}

    def filename(self, suffix: str) -> str:
        span = "-".join(d.isoformat() for d in (self.since, self.until) if d) or _("全部期间")
        return f"{_('月度台账')}-{self.root.name}-{span}{suffix}"


def _summary_of(shown: dict) -> dict:
    labels = [c["label"] for c in shown["columns"]]

    def figures(cells: list[dict]) -> list[dict]:
        return [{"label": label, "text": cell["text"], "value": cell["value"]} for label, cell in zip(labels, cells)]
    return {"title": shown["title"], "description": shown["description"], "group_label": shown["group_label"],
            "columns": labels, "total": figures(shown["total"]),
            "ranking_label": (shown.get("ranking") or {}).get("label", ""),
            "rows": [{"label": r["label"], "rank": r["rank"], "score": r["score"], "figures": figures(r["cells"])}
                     for r in shown["rows"]]}


def build(db, user: User, org_code: str | None, since: date | None, until: date | None) -> Ledger:
    """Every report the user may open, for the organisation (default: the user's own) and the period, presented
    (with its organisation chart, when it has one)."""
    root = reports.root_of(db, user, org_code)
    filters = {"org": org_code or "", "since": since, "until": until, "process": ""}
    summary = current_app.config["REPORT_SUMMARY"]
    shown = [stats_view.present_with_tree(db, result, filters, summary) for result in reports.compute_all(
        db, user, reports.readable(db, user), org_code=org_code, since=since, until=until, summary=summary)]
    return Ledger(root, since, until, shown)


def summary(db, ledger: Ledger, today: date) -> bytes:
    """The Word summary of a ledger; a failing template is answered with why, in the reader's language."""
    try:
        return monthly_ledgers.summary_document(db, ledger.context(today))
    except (TemplateFailed, NotFound) as exc:
        abort(422, description=engine_text(exc.msg))


def _readable() -> None:
    if not reports.readable(session(), g.user):
        abort(403, description=_("您没有可查看的统计报表"))


def _chosen(filters: dict | None = None) -> dict:
    """The page's filters (a wrong day or period refused: `stats_view.strict_filters`); the period defaults to last
    month (China days)."""
    from .workflow import engine

    filters = stats_view.strict_filters() if filters is None else filters
    if not filters["since"] and not filters["until"]:
        filters["since"], filters["until"] = monthly_ledgers.previous_month(engine().today())
    return filters


@bp.get("/stats/monthly")
@login_required
def monthly_page():
    """The period and organisation filters with the two downloads, and the stored ledgers of my subtree (of the
    chosen organisation's; one outside my subtree is 404, as on the other statistics pages); a wrong day or period
    is refused with its message beside its field."""
    _readable()
    filters, errors, status = stats_view.page_filters()
    filters = filters if errors else _chosen(filters)
    return render_template("stats_monthly.html", filters=filters, query=stats_view.query_of(filters), errors=errors,
                           orgs=scope.organizations(session(), g.user),
                           stored=monthly_ledgers.stored(session(), g.user, org_code=filters["org"] or None)), status


@bp.get("/stats/monthly/ledger.xlsx")
@login_required
def monthly_workbook():
    """The ledger workbook of the chosen organisation and period."""
    _readable()
    filters = _chosen()
    ledger = build(session(), g.user, filters["org"] or None, filters["since"], filters["until"])
    return send_file(io.BytesIO(ledger.workbook()), mimetype=XLSX, as_attachment=True,
                     download_name=ledger.filename(".xlsx"))


@bp.get("/stats/monthly/summary.docx")
@login_required
def monthly_summary():
    """The ledger's Word summary of the chosen organisation and period."""
    from .workflow import engine

    _readable()
    filters = _chosen()
    ledger = build(session(), g.user, filters["org"] or None, filters["since"], filters["until"])
    return send_file(io.BytesIO(summary(session(), ledger, engine().today())), mimetype=DOCX, as_attachment=True,
                     download_name=ledger.filename(".docx"))


@bp.get("/stats/monthly/<int:ledger_id>/<part>")
@login_required
def stored_file(ledger_id: int, part: str):
    """A stored ledger's workbook (`ledger.xlsx`) or summary (`summary.docx`)."""
    found = monthly_ledgers.stored_one(session(), g.user, ledger_id)
    content = {"ledger.xlsx": found.workbook, "summary.docx": found.summary}.get(part)
    if content is None:
        abort(404)
    name = f"{_('月度台账')}-{found.org.name}-{found.month:%Y-%m}{part[part.index('.'):]}"
    return send_file(io.BytesIO(content), mimetype=XLSX if part.endswith(".xlsx") else DOCX, as_attachment=True,
                     download_name=name)


def build_monthly(app: Flask) -> int:
    """On the first working day of a month (China), build the previous month's ledger and summary for each
    organisation and set of reports its holders may open, store them and notify the holders; return how many
    were built (0 on any other day, or when every one was built already)."""
    engine = app.extensions["lawflow.engine"]
    built = 0
    with app.test_request_context(base_url=app.config["PUBLIC_URL"]):      # links and texts as the pages make them
        with app.extensions["lawflow.sessions"]() as db:
            load_calendar(engine, db)
            today = engine.today()
            if not monthly_ledgers.is_first_working_day(engine.calendar, today):
                return 0
            since, until = monthly_ledgers.previous_month(today)
            for audience in monthly_ledgers.audiences(db):
                claimed = monthly_ledgers.claim(db, audience.org.id, since, audience.keys, engine.now())
                if claimed is None:
                    continue
                try:
                    ledger = build(db, audience.holders[0], None, since, until)
                    workbook = ledger.workbook()
                except Exception:           # left `building`: a later run takes the claim over after an hour
                    db.rollback()
                    current_app.logger.exception("月度台账未能生成（%s %s）", audience.org.code, since)
                    continue
                content, error = None, None
                try:
                    content = monthly_ledgers.summary_document(db, ledger.context(today))
                except (TemplateFailed, NotFound) as exc:          # the workbook stands; the page says why
                    error = exc.msg
                    current_app.logger.warning("月度台账摘要未能生成（%s %s）：%s", audience.org.code, since,
                                               exc.msg)
                monthly_ledgers.finish(db, claimed, workbook, content, error, engine.now())
                monthly_ledgers.notify(db, claimed, audience.holders, engine.now(),
                                       url_for("monthly.monthly_page", _anchor=f"ledger-{claimed.id}"))
                built += 1
    return built
