"""What the 统计 page, its Excel export and the API show of a computed report: rows labelled as people read them,
each figure as a number and as text (无数据 for a rate with nothing to count), the link to the cases behind it,
and the series its chart draws."""
from __future__ import annotations

from datetime import date

from flask import request, url_for
from flask_babel import gettext as _

from engine.core import DataValidationError, FieldError, NotFound, scope
from engine.definitions import bundles
from engine.work import casework, report_tree, reports

from . import formfields
from .pages import status_label
from .refusal import refuse

PERIOD = ("org", "since", "until")


def chosen_filters() -> dict:
    """The filters the query string asks for: an organisation code and the period's days (a wrong day is left
    out), and a process."""
    found = {"org": request.args.get("org", "").strip()[:64], "process": request.args.get("process", "").strip()[:200]}
    for name in ("since", "until"):
        text = request.args.get(name, "").strip()
        try:
            found[name] = date.fromisoformat(text) if text else None
        except ValueError:
            found[name] = None
    return found


def query_of(filters: dict) -> dict:
    """The filters as query-string values (for links that keep them)."""
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in filters.items() if k in PERIOD and v}


def columns(definition: dict) -> list[dict]:
    """The table's figure columns: one per measure, one per percentile of a duration."""
    found = []
    for measure in definition["measures"]:
        if measure["kind"] == "duration":
            found += [{"measure": measure, "percentile": p, "label": f"{measure['label']} P{p}"}
                      for p in measure["percentiles"]]
        else:
            found.append({"measure": measure, "percentile": None, "label": measure["label"]})
    return found


def cell(column: dict, figure: reports.Figure, link: str | None) -> dict:
    """One figure as a number (a share for rates, days or hours for durations) and as text."""
    kind = column["measure"]["kind"]
    value = figure.value
    if kind == "duration":
        value = None if value is None else value[column["percentile"]]
    if value is None:
        return {"value": None, "text": _("无数据"), "url": link, "kind": kind}
    if kind in ("rate", "on_time", "ratio"):
        text = f"{value * 100:.1f}% ({figure.numerator:g}/{figure.denominator:g})"
    elif kind in ("duration", "sum", "mean"):
        text = f"{value:g}"
    else:
        text = str(value)
    return {"value": value, "text": text, "url": link, "kind": kind}


def group_label(definition: dict, group: reports.Group, choices: dict) -> str:
    """A row's name: the organisation, the month, the status, or the value's label."""
    by = definition["groupBy"]
    if group.name:
        return group.name
    if group.key == "":
        return _("未填")
    if by == "@status":
        return status_label(group.key)
    if by == "@month":
        return group.key
    return (definition.get("valueLabels") or {}).get(group.key) or choices.get(by, {}).get(group.key, group.key)


def label_of(db, user, definition: dict, key: str) -> str:
    """The name of one row of a report by its key."""
    if definition["groupBy"] == "@org":
        found = scope.organization(db, user, key)
        return found.name if found else key
    active = bundles.active_bundle(db)
    choices = casework.choice_labels(db, active.id) if active else {}
    return group_label(definition, reports.Group(key), choices)


def present(db, result: reports.Result, filters: dict) -> dict:
    """A computed report as the page, the export and the API show it."""
    definition = result.report
    active = bundles.active_bundle(db)
    choices = casework.choice_labels(db, active.id) if active else {}
    cols = columns(definition)
    rows = [{"key": g.key, "label": group_label(definition, g, choices), "rank": g.rank,
             "score": None if g.score is None else f"{g.score:g}",
             "cells": [cell(c, g.figures[c["measure"]["name"]], _link(definition, c, g.key, filters)) for c in cols]}
            for g in result.groups]
    ranking = definition.get("ranking")
    total = [cell(c, result.total[c["measure"]["name"]], _link(definition, c, None, filters)) for c in cols]
    return {"key": definition["key"], "title": definition["title"], "description": definition.get("description", ""),
            "chart": definition.get("chart", "bar"), "group_label": definition.get("groupLabel", _("分组")),
            "columns": cols, "rows": rows, "total": total, "scope": result.root.name,
            "period": _period_text(result.since, result.until), "series": _series(cols, rows),
            "ranking": ranking and {"label": ranking.get("label") or _("得分"), "formula": ranking["formula"],
                                    "description": ranking.get("description", "")}}


def public(db, result: reports.Result) -> dict:
    """A public report as the portal shows it: aggregate figures only, with no link to any case."""
    definition = result.report
    active = bundles.active_bundle(db)
    choices = casework.choice_labels(db, active.id) if active else {}
    cols = columns(definition)
    strip = lambda found: {k: v for k, v in found.items() if k != "url"}      # noqa: E731
    return {"key": definition["key"], "title": definition["title"], "description": definition.get("description", ""),
            "group_label": definition.get("groupLabel", _("分组")), "columns": [c["label"] for c in cols],
            "rows": [{"key": g.key, "label": group_label(definition, g, choices),
                      "cells": [strip(cell(c, g.figures[c["measure"]["name"]], None)) for c in cols]}
                     for g in result.groups],
            "total": [strip(cell(c, result.total[c["measure"]["name"]], None)) for c in cols],
            "scope": result.root.name, "period": _period_text(result.since, result.until)}


def _link(definition: dict, column: dict, group: str | None, filters: dict) -> str:
    """The list of the cases a figure counts, with the page's filters."""
    args = {"measure": column["measure"]["name"], **query_of(filters)}
    if group is not None:
        args["group"] = group
    return url_for("stats.stats_cases", key=definition["key"], **args)


def _period_text(since: date | None, until: date | None) -> str:
    if not since and not until:
        return _("全部期间")
    return f"{since.isoformat() if since else '…'} — {until.isoformat() if until else '…'}"


def _series(cols: list[dict], rows: list[dict]) -> list[dict]:
    """What the chart draws: the counts (or, for a report of rates only, the rates in percent)."""
    counts = [n for n, c in enumerate(cols) if c["measure"]["kind"] == "count"]
    chosen = (counts or [n for n, c in enumerate(cols) if c["measure"]["kind"] in ("rate", "on_time", "ratio")]
              or [n for n, c in enumerate(cols) if c["measure"]["kind"] == "mean"] or [0])
    series = []
    for n in chosen:
        percent = cols[n]["measure"]["kind"] in ("rate", "on_time", "ratio")
        values = [r["cells"][n]["value"] for r in rows]
        series.append({"name": cols[n]["label"], "percent": percent,
                       "data": [None if v is None else round(v * 100, 1) if percent else v for v in values],
                       "urls": [r["cells"][n]["url"] for r in rows]})
    return series


def heat(figures, attribute: str) -> list[dict]:
    """Each step of a bottleneck map with its heat (0: nothing to colour, 1–5: from the fastest to the slowest, or
    the fewest to the most overdue), relative to the step with the most, and its figures as text."""
    top = max((getattr(s, attribute) or 0 for s in figures.steps), default=0)
    found = []
    for step in figures.steps:
        value = getattr(step, attribute) or 0
        level = 0 if not value or not top else max(1, min(5, -(-5 * value // top)))
        found.append({"id": step.element_id, "name": step.name, "level": int(level), "done": step.done,
                      "open": step.open, "overdue": step.overdue,
                      "mean": _("无数据") if step.mean_days is None else f"{step.mean_days:g}",
                      "p90": _("无数据") if step.p90_days is None else f"{step.p90_days:g}"})
    return found


def present_with_tree(db, result: reports.Result, filters: dict, summary: bool) -> dict:
    """`present`, with the report's organisation chart (`tree`) when it has one: what the 统计 page and the 月度台账
    both show of a report."""
    shown = present(db, result, filters)
    shown["tree"] = tree(result.report, report_tree.org_tree(db, result.root, result.report, since=result.since,
                                                             until=result.until, summary=summary), filters)
    return shown


def tree(definition: dict, node, filters: dict) -> dict | None:
    """A report's organisation chart (`orgTree`, from `report_tree.org_tree`) as the page draws it: each organisation
    with its rate in percent (None: 无数据) and as a share with its numerator and denominator (for the Excel
    export), the rate as text and the cases behind it (the root: the whole subtree, as the total row)."""
    if node is None:
        return None
    measure = next(m for m in definition["measures"] if m["name"] == definition["orgTree"])
    column = {"measure": measure, "percentile": None, "label": measure["label"]}

    def walk(found, top: bool) -> dict:
        shown = cell(column, found.figure, _link(definition, column, None if top else found.code, filters))
        return {"code": found.code, "name": found.name,
                "value": None if shown["value"] is None else round(shown["value"] * 100, 1), "share": shown["value"],
                "numerator": found.figure.numerator, "denominator": found.figure.denominator,
                "text": shown["text"], "url": shown["url"], "children": [walk(c, False) for c in found.children]}

    return {"key": f"{definition['key']}-tree", "kind": "tree", "label": measure["label"], "root": walk(node, True)}



def strict_filters() -> dict:
    """The filters as `chosen_filters` reads them, but a day that is not one, or a period that ends before it
    begins, is refused with the field it is in (for the exports and lists a program asks for)."""
    found = chosen_filters()
    problems = [FieldError(name, _("应为日期（YYYY-MM-DD）"), "date") for name in ("since", "until")
                if request.args.get(name, "").strip() and found[name] is None]
    if not problems and found["since"] and found["until"] and found["since"] > found["until"]:
        problems.append(FieldError("until", _("截止日期不能早于起始日期"), "range"))
    if problems:
        raise DataValidationError(_("查询条件有误"), problems)
    return found


def page_filters() -> tuple[dict, dict, int]:
    """A page's filters, each wrong field's message (a day that is not one, a period that ends before it
    begins: refused as the exports and the API refuse it, the message shown beside its field) and the status to
    answer with."""
    try:
        return strict_filters(), {}, 200
    except DataValidationError as refused:
        return chosen_filters(), formfields.error_map(refused.errors), refuse(refused, beside_fields=True)


def processes_counted(db, user, found: list[dict] | None = None) -> list[tuple[str, str]]:
    """The processes the reader's reports count, with their names, in the reports' order."""
    found = reports.readable(db, user) if found is None else found
    names = {d.process_key: d.name for d in bundles.latest_definitions(db)}
    return [(k, names.get(k, k)) for k in dict.fromkeys(r["process"] for r in found)]


def mapped_process(db, user, wanted: str, *, strict: bool = False, found: list[dict] | None = None):
    """The processes the reader's reports count, the one a bottleneck map shows and its active definition:
    `wanted` when it is one of them, else the first (`strict`: NotFound naming it)."""
    processes = processes_counted(db, user, found)
    if strict and wanted not in dict(processes):
        raise NotFound(_("流程 %(process)s 不存在，或您的统计报表不统计它", process=wanted), process=wanted)
    if not processes:
        raise NotFound(_("您没有可查看的统计报表"))
    key = wanted if wanted in dict(processes) else processes[0][0]
    definition = next((d for d in bundles.latest_definitions(db) if d.process_key == key), None)
    if definition is None:
        raise NotFound(_("流程 %(process)s 不存在，或您的统计报表不统计它", process=key), process=key)
    return processes, key, definition


def period_text(since: date | None, until: date | None) -> str:
    """A period as the titles show it (全部期间 without one)."""
    return _period_text(since, until)
