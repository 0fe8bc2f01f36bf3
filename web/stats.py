"""统计: the reports of the active version (`forms/**/*.report.json`) for leaders and supervisors, with filters for
period, organisation and process, charts drawn with Apache ECharts, each table exported to Excel and each figure
linked to the cases behind it; only the cases of the reader's subtree count."""
from __future__ import annotations

import io

from flask import Blueprint, Flask, abort, g, render_template, request, send_file
from flask_babel import gettext as _

from engine.core import scope
from engine.definitions import bundles
from engine.work import reports

from . import stats_export, stats_view
from .auth import login_required
from .database import session

bp = Blueprint("stats", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def init_app(app: Flask) -> None:
    """Register the statistics pages and tell the navigation who sees them."""
    app.register_blueprint(bp)
    app.jinja_env.globals["may_see_stats"] = may_see_stats


def may_see_stats(user) -> bool:
    """Whether the user may open at least one report (the reports name the roles that may)."""
    if user is None:
        return False
    if "may_see_stats" not in g:
        g.may_see_stats = bool(reports.readable(session(), user))
    return g.may_see_stats


def _readable() -> list[dict]:
    found = reports.readable(session(), g.user)
    if not found:
        abort(403, description=_("您没有可查看的统计报表"))
    return found


def _processes(found: list[dict]) -> list[tuple[str, str]]:
    """The processes the reports count, with their names, in the reports' order."""
    names = {d.process_key: d.name for d in bundles.latest_definitions(session())}
    keys = dict.fromkeys(r["process"] for r in found)
    return [(k, names.get(k, k)) for k in keys]


def _computed(definition: dict, filters: dict) -> dict:
    result = reports.compute(session(), g.user, definition, org_code=filters["org"] or None,
                             since=filters["since"], until=filters["until"])
    return stats_view.present(session(), result, filters)


@bp.get("/stats")
@login_required
def stats_page():
    """The reports of one process (by default the first), each as a chart and a table."""
    found = _readable()
    filters = stats_view.chosen_filters()
    processes = _processes(found)
    process = filters["process"] if filters["process"] in dict(processes) else processes[0][0]
    shown = [_computed(r, filters) for r in found if r["process"] == process]
    return render_template("stats.html", shown=shown, processes=processes, process=process, filters=filters,
                           orgs=scope.organizations(session(), g.user), query=stats_view.query_of(filters))


@bp.get("/stats/<key>/export.xlsx")
@login_required
def stats_export_xlsx(key: str):
    """One report's table as an Excel workbook, with the page's filters."""
    definition = reports.report(session(), g.user, key)
    content = stats_export.workbook(_computed(definition, stats_view.chosen_filters()))
    return send_file(io.BytesIO(content), mimetype=XLSX, as_attachment=True,
                     download_name=f"{definition['title']}.xlsx")


@bp.get("/stats/<key>/cases")
@login_required
def stats_cases(key: str):
    """The cases behind one figure: the report's cases in a group, meeting a measure, with the page's filters."""
    definition = reports.report(session(), g.user, key)
    filters = stats_view.chosen_filters()
    measure, group, part = request.args.get("measure") or None, request.args.get("group"), request.args.get("part")
    found = reports.cases_behind(session(), g.user, definition, measure=measure, group=group,
                                 part=part if part in ("base", "late") else "hit", org_code=filters["org"] or None,
                                 since=filters["since"], until=filters["until"])
    chosen = next((m for m in definition["measures"] if m["name"] == measure), None)
    label = None if group is None else stats_view.label_of(session(), g.user, definition, group)
    return render_template("stats_cases.html", definition=definition, measure=chosen, group=label, cases=found,
                           filters=filters, query=stats_view.query_of(filters))
