"""统计: the reports of the active version (`forms/**/*.report.json`) for leaders and supervisors, with filters for
period, organisation and process, charts drawn with Apache ECharts, each table exported to Excel and each figure
linked to the cases behind it; and the bottleneck map (瓶颈图), the process's diagram with each step coloured by how
long it took or how often it ran late. Only the cases of the reader's subtree count."""
from __future__ import annotations

import io

from flask import Blueprint, Flask, abort, current_app, g, render_template, request, send_file, url_for
from flask_babel import gettext as _

from engine.core import scope
from engine.definitions import bundles
from engine.work import bottlenecks, reports

from . import chart_specs, stats_export, stats_view
from .auth import login_required
from .database import session
from .workflow import engine

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
    return stats_view.processes_counted(session(), g.user, found)


def _computed(definition: dict, filters: dict, result: reports.Result | None = None, renderer: str = "canvas") -> dict:
    result = result or reports.compute(session(), g.user, definition, org_code=filters["org"] or None,
                                       since=filters["since"], until=filters["until"],
                                       summary=current_app.config["REPORT_SUMMARY"])
    shown = stats_view.present_with_tree(session(), result, filters, current_app.config["REPORT_SUMMARY"])
    shown["spec"] = chart_specs.chart(shown, renderer)
    shown["tree_spec"] = shown["tree"] and chart_specs.tree(shown["tree"], renderer)
    return shown


def _shown(filters: dict, renderer: str = "canvas", counted: bool = True) -> dict:
    """The page's reports of one process (by default the first) with the filters asked for, each presented
    (none when not `counted`: the filters were refused)."""
    found = _readable()
    processes = _processes(found)
    process = filters["process"] if filters["process"] in dict(processes) else processes[0][0]
    chosen = [r for r in found if r["process"] == process] if counted else []
    results = reports.compute_all(session(), g.user, chosen, org_code=filters["org"] or None, since=filters["since"],
                                  until=filters["until"], summary=current_app.config["REPORT_SUMMARY"])
    shown = [_computed(r, filters, result, renderer) for r, result in zip(chosen, results)]
    return {"shown": shown, "processes": processes, "process": process, "filters": filters,
            "query": stats_view.query_of(filters)}


@bp.get("/stats")
@login_required
def stats_page():
    """The reports of one process (by default the first), each as a chart and a table; a wrong day or period is
    refused with its message beside its field."""
    filters, errors, status = stats_view.page_filters()
    return render_template("stats.html", orgs=scope.organizations(session(), g.user), errors=errors,
                           **_shown(filters, counted=not errors)), status


@bp.get("/stats/print")
@login_required
def stats_print():
    """The same reports for paper: no navigation, each chart drawn as SVG without animation, then its table."""
    page = _shown(stats_view.strict_filters(), "svg")
    scope_name = page["shown"][0]["scope"] if page["shown"] else g.user.org.name
    return render_template("stats_print.html", scope_name=scope_name, printed_at=engine().now(),
                           process_name=dict(page["processes"])[page["process"]], **page)


@bp.get("/stats/<key>/export.xlsx")
@login_required
def stats_export_xlsx(key: str):
    """One report's table as an Excel workbook, with the page's filters."""
    definition = reports.report(session(), g.user, key)
    content = stats_export.workbook(_computed(definition, stats_view.strict_filters()))
    return send_file(io.BytesIO(content), mimetype=XLSX, as_attachment=True,
                     download_name=f"{definition['title']}.xlsx")


@bp.get("/stats/<key>/cases")
@login_required
def stats_cases(key: str):
    """The cases behind one figure: the report's cases in a group, meeting a measure, with the page's filters."""
    definition = reports.report(session(), g.user, key)
    filters = stats_view.strict_filters()
    measure, group, part = request.args.get("measure") or None, request.args.get("group"), request.args.get("part")
    found = reports.cases_behind(session(), g.user, definition, measure=measure, group=group,
                                 part=part if part in ("base", "late") else "hit", org_code=filters["org"] or None,
                                 since=filters["since"], until=filters["until"])
    chosen = next((m for m in definition["measures"] if m["name"] == measure), None)
    label = None if group is None else stats_view.label_of(session(), g.user, definition, group)
    return render_template("stats_cases.html", definition=definition, measure=chosen, group=label, cases=found,
                           filters=filters, query=stats_view.query_of(filters))


HEAT_BY = {"mean": "mean_days", "p90": "p90_days", "overdue": "overdue"}


def _mapped_process(found: list[dict], wanted: str, strict: bool = False):
    """The process the map shows (one the reader's reports count; by default the first, `strict`: 404 for
    another) and its definition."""
    return stats_view.mapped_process(session(), g.user, wanted, strict=strict, found=found)


@bp.get("/stats/bottlenecks")
@login_required
def bottleneck_map():
    """瓶颈图: the process's diagram, each step coloured by its mean or 90th-percentile time or its overdue count
    in the period, with the same figures as a table whose overdue counts open their cases; a wrong day or period
    is refused with its message beside its field."""
    found = _readable()
    filters, errors, status = stats_view.page_filters()
    processes, process, definition = _mapped_process(found, filters["process"])
    by = request.args.get("by") if request.args.get("by") in HEAT_BY else "mean"
    figures = None if errors else bottlenecks.step_figures(session(), g.user, process, org_code=filters["org"] or None,
                                                           since=filters["since"], until=filters["until"],
                                                           summary=current_app.config["REPORT_SUMMARY"])
    return render_template("stats_bottlenecks.html", figures=figures, errors=errors, by=by, processes=processes,
                           steps=figures and stats_view.heat(figures, HEAT_BY[by]), process=process,
                           definition=definition, filters=filters, orgs=scope.organizations(session(), g.user),
                           query=stats_view.query_of(filters)), status


@bp.get("/stats/bottlenecks/<process>/diagram.bpmn")
@login_required
def bottleneck_diagram(process: str):
    """The BPMN file of the process's active version (drawn by the map)."""
    _processes_found, key, definition = _mapped_process(_readable(), process)
    if key != process:
        abort(404)
    content = bundles.bundle_file(session(), definition.bundle_id, definition.file_path)
    return content, 200, {"Content-Type": "application/xml; charset=utf-8"}


@bp.get("/stats/bottlenecks/cases")
@login_required
def bottleneck_cases():
    """The cases whose step ran past its due time, as the map counts them."""
    filters = stats_view.strict_filters()
    _processes_found, process, definition = _mapped_process(_readable(), filters["process"])
    step = request.args.get("step", "")[:200]
    found = bottlenecks.late_cases(session(), g.user, process, step, org_code=filters["org"] or None,
                                   since=filters["since"], until=filters["until"])
    return render_template("stats_cases.html", definition={"title": _("瓶颈图"), "process": process},
                           measure={"label": _("逾期")}, group=request.args.get("name", step)[:200], cases=found,
                           filters=filters, query=stats_view.query_of(filters),
                           back=url_for("stats.bottleneck_map", process=process, **stats_view.query_of(filters)))


@bp.get("/stats/bottlenecks/export.xlsx")
@login_required
def bottleneck_export():
    """瓶颈图's table as an Excel workbook (each step's name, id, done and open counts, mean and P90 days, overdue),
    with the page's filters; a wrong day or period is refused with its field."""
    filters = stats_view.strict_filters()
    _processes_found, process, definition = _mapped_process(_readable(), filters["process"], strict=True)
    figures = bottlenecks.step_figures(session(), g.user, process, org_code=filters["org"] or None,
                                       since=filters["since"], until=filters["until"],
                                       summary=current_app.config["REPORT_SUMMARY"])
    title = f"{_('瓶颈图')}·{definition.name}"
    content = stats_export.steps_workbook(figures, title, stats_view.period_text(figures.since, figures.until))
    return send_file(io.BytesIO(content), mimetype=XLSX, as_attachment=True, download_name=f"{title}.xlsx")
