"""A report's organisation chart (`orgTree`) as a sheet of its Excel export and of the 月度台账: a title row with the
scope and the period, a frozen header row, one row per organisation in the chart's order with its name indented by
its depth, its rate as a percentage cell (无数据 as text) and the two counts behind the rate, each linked to the list
of its cases on the server (an absolute address: the file is opened from the desktop, away from the page)."""
from __future__ import annotations

from urllib.parse import urljoin

from flask import request
from flask_babel import gettext as _
from openpyxl.styles import Alignment, Font

from .xlsx_layout import fit_widths, heading


def tree_title(shown: dict) -> str:
    """The sheet's name before it is made unique: the report's title (shortened so the suffix stays) and 「（组织）」."""
    suffix = f"（{_('组织')}）"
    return "".join("_" if ch in "[]:*?/\\" else ch for ch in shown["title"]).strip("'")[:31 - len(suffix)] + suffix


def fill_tree(sheet, shown: dict) -> None:
    """The organisation chart of a presented report (`shown["tree"]`, from `stats_view.tree`) on a sheet."""
    tree = shown["tree"]
    headers = [_("组织"), tree["label"], _("符合数"), _("基数")]
    heading(sheet, f"{shown['title']}（{_('组织')}）·{tree['label']}（{shown['scope']}，{shown['period']}）", headers)
    for depth, node in _walk(tree["root"], 0):
        share = node["share"]
        sheet.append([node["name"], node["text"] if share is None else share, node["numerator"],
                      node["denominator"]])
        name, rate, hits, base = sheet[sheet.max_row]
        name.alignment = Alignment(indent=depth)
        if share is not None:
            rate.number_format = "0.0%"
        if depth == 0:
            for cell in (name, rate, hits, base):
                cell.font = Font(bold=True)
        if node["url"]:
            _link(hits, node["url"])
            _link(base, node["url"] + ("&" if "?" in node["url"] else "?") + "part=base")
    sheet.freeze_panes = "A3"
    fit_widths(sheet, len(headers))


def _walk(node: dict, depth: int):
    yield depth, node
    for child in node["children"]:
        yield from _walk(child, depth + 1)


def _link(cell, url: str) -> None:
    """A count linked to the list of its cases (a count of none is left unlinked: its list is empty)."""
    if not cell.value:
        return
    cell.hyperlink = urljoin(request.host_url, url)
    cell.font = Font(color="0563C1", underline="single", bold=cell.font.bold)
