"""CSV files for Excel: UTF-8 with a byte-order mark, and cells a spreadsheet shows as text, never as a formula."""
from __future__ import annotations

from engine.time import CHINA_TZ

from .workflow import engine

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_download(text: str, stem: str):
    """A CSV text as a download for Excel (UTF-8 with a byte-order mark), named by the stem and today's date."""
    filename = f"{stem}-{engine().now().astimezone(CHINA_TZ):%Y%m%d}.csv"
    return ("\ufeff" + text).encode("utf-8"), 200, {
        "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": f"attachment; filename={filename}"}


def cell(value) -> str:
    """A CSV cell that a spreadsheet shows as text: one that would start a formula gets a leading apostrophe."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
