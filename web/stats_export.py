"""A report's table as an Excel workbook, the layout a section sends upward: a title row with the scope and the
period, a frozen header row in Chinese, real number, percentage and month cells, a total row, columns wide
enough to read."""
from __future__ import annotations

import io
from datetime import datetime

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.hyperlink import Hyperlink

from .stats_tree_export import fill_tree, tree_title
from .xlsx_layout import fit_widths, heading


def workbook(shown: dict) -> bytes:
    """The presented report (`stats_view.present`) as xlsx bytes; a report with an organisation chart (`orgTree`)
    gets it on a second sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = _sheet_name(shown["title"], set())
    _fill(sheet, shown)
    if shown.get("tree"):
        fill_tree(book.create_sheet(_sheet_name(tree_title(shown), {sheet.title})), shown)
    return _saved(book)


def ledger(shown: list[dict], scope: str, period: str) -> bytes:
    """月度台账: a first sheet 目录 listing the reports (each linked to its sheet), then one sheet per report laid out
    as its own export, followed by its organisation chart's sheet when it has one (listed in 目录 below it): the
    ledger a section sends upward shows how each unit below it did, as the page's chart does."""
    book = Workbook()
    contents = book.active
    contents.title = _("目录")
    heading(contents, f"{_('月度台账')}（{scope}，{period}）", [_("序号"), _("报表"), _("说明")])
    taken = {contents.title}
    for n, one in enumerate(shown, start=1):
        sheet = book.create_sheet(_sheet_name(one["title"], taken))
        taken.add(sheet.title)
        _fill(sheet, one)
        _listed(contents, sheet, [n, one["title"], one.get("description", "")])
        if one.get("tree"):
            chart = book.create_sheet(_sheet_name(tree_title(one), taken))
            taken.add(chart.title)
            fill_tree(chart, one)
            _listed(contents, chart, ["", chart.title, _("%(measure)s，按组织层级", measure=one["tree"]["label"])])
    contents.freeze_panes = "A3"
    fit_widths(contents, 2)                                 # 序号 and the sheets' names; 说明 wide enough to read
    contents.column_dimensions["C"].width = 60
    return _saved(book)


def _listed(contents, sheet, values: list) -> None:
    """A row of 目录 whose name opens its sheet."""
    contents.append(values)
    link = contents.cell(row=contents.max_row, column=2)
    link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{sheet.title}'!A1")
    link.style = "Hyperlink"


def _sheet_name(title: str, taken: set[str]) -> str:
    """A sheet name Excel accepts (31 characters, none of []:*?/\\), unique in the workbook."""
    name = "".join("_" if ch in "[]:*?/\\" else ch for ch in title).strip("'")[:31] or "Sheet"
    found, n = name, 2
    while found in taken:
        suffix = f"({n})"
        found, n = name[:31 - len(suffix)] + suffix, n + 1
    return found


def _saved(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fill(sheet, shown: dict) -> None:
    """One report's table on a sheet: title row, frozen header row, a row per group, the total row, widths."""
    ranking = shown.get("ranking")
    width = len(shown["columns"]) + (3 if ranking else 1)
    heading(sheet, f"{shown['title']}（{shown['scope']}，{shown['period']}）",
            [*([_("排名")] if ranking else []), shown["group_label"], *(c["label"] for c in shown["columns"]),
             *([ranking["label"]] if ranking else [])])
    month = shown["rows"] and all(_is_month(r["key"]) for r in shown["rows"])
    for row in shown["rows"]:
        first = datetime.strptime(row["key"], "%Y-%m") if month else row["label"]
        _append(sheet, first, row["cells"], "yyyy-mm" if month else None, ranking and row)
    _append(sheet, _("合计"), shown["total"], None, ranking and {})
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A3"
    fit_widths(sheet, width)


def _append(sheet, first, cells: list[dict], first_format: str | None, ranked: dict | None = None) -> None:
    """One row: (its rank,) its name, then each figure as a number cell (a rate as a percentage), 无数据 as text
    (and its score)."""
    values = [first, *(c["value"] if c["value"] is not None else c["text"] for c in cells)]
    if ranked is not None:
        score = ranked.get("score")
        values = [ranked.get("rank"), *values, float(score) if score is not None else None]
    sheet.append(values)
    row = sheet[sheet.max_row][1:] if ranked is not None else sheet[sheet.max_row]
    if first_format:
        row[0].number_format = first_format
    for target, cell in zip(row[1:], cells):
        if cell["value"] is not None and cell["kind"] in ("rate", "on_time", "ratio"):
            target.number_format = "0.0%"
        elif cell["value"] is not None and cell["kind"] in ("duration", "mean"):
            target.number_format = "0.0"


def _is_month(key: str) -> bool:
    return len(key) == 7 and key[4] == "-" and key[:4].isdigit() and key[5:].isdigit()


def steps_workbook(figures, title: str, period: str) -> bytes:
    """A bottleneck map (`bottlenecks.StepMap`) as xlsx bytes: a title row with the scope and the period, a frozen
    header row, one row per step (slowest first) with its counts and overdue as whole numbers and its mean and
    P90 days as numbers (无数据 as text when none of it was done)."""
    book = Workbook()
    sheet = book.active
    sheet.title = _sheet_name(title, set())
    headers = [_("步骤"), _("步骤编号"), _("已办"), _("在办"), _("平均用时（日）"), _("P90 用时（日）"), _("逾期")]
    heading(sheet, f"{title}（{figures.root.name}，{period}）", headers)
    for step in figures.steps:
        days = [_("无数据") if d is None else d for d in (step.mean_days, step.p90_days)]
        sheet.append([step.name, step.element_id, step.done, step.open, *days, step.overdue])
        for cell in sheet[sheet.max_row][4:6]:
            if not isinstance(cell.value, str):
                cell.number_format = "0.0"
    if not figures.steps:
        sheet.append([_("无数据")])
    sheet.freeze_panes = "A3"
    fit_widths(sheet, len(headers))
    return _saved(book)
