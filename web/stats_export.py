"""A report's table as an Excel workbook, the layout a section sends upward: a title row with the scope and the
period, a frozen header row in Chinese, real number, percentage and month cells, a total row, columns wide
enough to read."""
from __future__ import annotations

import io
from datetime import datetime

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter


def workbook(shown: dict) -> bytes:
    """The presented report (`stats_view.present`) as xlsx bytes."""
    book = Workbook()
    sheet = book.active
    sheet.title = shown["title"][:31]
    ranking = shown.get("ranking")
    width = len(shown["columns"]) + (3 if ranking else 1)
    sheet.append([f"{shown['title']}（{shown['scope']}，{shown['period']}）"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([*([_("排名")] if ranking else []), shown["group_label"], *(c["label"] for c in shown["columns"]),
                  *([ranking["label"]] if ranking else [])])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    month = shown["rows"] and all(_is_month(r["key"]) for r in shown["rows"])
    for row in shown["rows"]:
        first = datetime.strptime(row["key"], "%Y-%m") if month else row["label"]
        _append(sheet, first, row["cells"], "yyyy-mm" if month else None, ranking and row)
    _append(sheet, _("合计"), shown["total"], None, ranking and {})
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A3"
    for n in range(1, width + 1):
        longest = max(len(str(sheet.cell(row=r, column=n).value or "")) for r in range(2, sheet.max_row + 1))
        sheet.column_dimensions[get_column_letter(n)].width = min(max(10, longest * 2 + 2), 40)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


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
        if cell["value"] is not None and cell["kind"] in ("rate", "on_time"):
            target.number_format = "0.0%"
        elif cell["value"] is not None and cell["kind"] == "duration":
            target.number_format = "0.0"


def _is_month(key: str) -> bool:
    return len(key) == 7 and key[4] == "-" and key[:4].isdigit() and key[5:].isdigit()
