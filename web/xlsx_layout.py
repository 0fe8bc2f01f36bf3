"""What the Excel exports of 统计 share: a cell's text as the sheet shows it (a month as 2025-10, a share as
33.3 %, a number to a tenth as its format shows it, the indentation of a name) and columns wide enough for it."""
from __future__ import annotations

from datetime import datetime

from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

MIN_WIDTH, MAX_WIDTH = 10, 40


def heading(sheet, title: str, headers: list) -> None:
    """A sheet's first two rows as every export lays them out: the title (with scope and period) across the
    columns, bold, then the header row, bold, centred and wrapped."""
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(headers)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)


def shown_text(cell) -> str:
    """A cell's text as the sheet shows it (its number format applied), with a character per level of indentation."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, datetime):
        found = value.strftime("%Y-%m")
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and cell.number_format == "0.0%":
        found = f"{value * 100:.1f}%"
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and cell.number_format == "0.0":
        found = f"{value:.1f}"
    else:
        found = str(value)
    return " " * int(cell.alignment.indent or 0) + found


def width_for(text: str) -> float:
    """A column's width for its longest text: two units a character (a Chinese one is that wide), 10 to 40."""
    return min(max(MIN_WIDTH, len(text) * 2 + 2), MAX_WIDTH)


def fit_widths(sheet, columns: int, first_row: int = 2) -> None:
    """Each of the first `columns` columns as wide as its longest text from `first_row` down (the title row above
    spans the columns and is left out)."""
    for n in range(1, columns + 1):
        longest = max((shown_text(sheet.cell(row=r, column=n)) for r in range(first_row, sheet.max_row + 1)),
                      key=len, default="")
        sheet.column_dimensions[get_column_letter(n)].width = width_for(longest)
