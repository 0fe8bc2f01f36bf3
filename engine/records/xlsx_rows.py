"""The rows of a workbook's first sheet, streamed straight from its XML (lxml iterparse): cell values as text,
numbers, yes/no or days (a number in a date style), with the row numbers the sheet gives. openpyxl's read-only
reader builds an object per cell and costs several times as much; this reads what a ledger needs and no more,
and keeps in memory only the shared strings and the row being read."""
from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from functools import lru_cache
from datetime import date, datetime, timedelta

from lxml import etree

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELATION = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PACKAGE = "{http://schemas.openxmlformats.org/package/2006/relationships}"
DATE_FORMAT_IDS = set(range(14, 23)) | {27, 30, 36, 45, 46, 47, 50, 57}     # Excel's built-in date formats
_DATE_CODE = re.compile(r"[dmyhs]", re.I)
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')
_COLUMN = re.compile(r"[A-Z]+")
MAX_COLUMNS = 1000               # cells past this column of a row are not read


class WorkbookError(ValueError):
    """The workbook lacks a part it must have, or a part is not what it says."""


def _parser_options() -> dict:
    return {"resolve_entities": False, "no_network": True, "huge_tree": False, "remove_comments": True}


def _tree(book: zipfile.ZipFile, name: str):
    try:
        with book.open(name) as part:
            return etree.parse(part, etree.XMLParser(**_parser_options())).getroot()
    except KeyError:
        return None


def first_sheet(book: zipfile.ZipFile) -> str:
    """The path in the package of the workbook's first sheet."""
    workbook = _tree(book, "xl/workbook.xml")
    relations = _tree(book, "xl/_rels/workbook.xml.rels")
    sheet = workbook.find(f"{MAIN}sheets/{MAIN}sheet") if workbook is not None else None
    if sheet is None or relations is None:
        raise WorkbookError("the workbook names no sheet")
    wanted = sheet.get(f"{RELATION}id")
    for relation in relations.iter(f"{PACKAGE}Relationship"):
        if relation.get("Id") == wanted:
            target = relation.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else "xl/" + target
    raise WorkbookError("the workbook's first sheet has no part")


def shared_strings(book: zipfile.ZipFile) -> list[str]:
    """The workbook's shared strings, each its runs' text joined (phonetic hints left out)."""
    found = []
    try:
        part = book.open("xl/sharedStrings.xml")
    except KeyError:
        return found
    with part:
        for _event, item in etree.iterparse(part, events=("end",), tag=f"{MAIN}si", **_parser_options()):
            found.append("".join(t.text or "" for t in item.iter(f"{MAIN}t")
                                 if t.getparent().tag != f"{MAIN}rPh"))
            item.clear()
    return found


def date_styles(book: zipfile.ZipFile) -> set[int]:
    """The indexes of the cell styles whose number format shows a date."""
    styles = _tree(book, "xl/styles.xml")
    if styles is None:
        return set()
    custom = {int(f.get("numFmtId", -1)) for f in styles.iter(f"{MAIN}numFmt")
              if _DATE_CODE.search(_QUOTED.sub("", f.get("formatCode", "")))}
    formats = styles.find(f"{MAIN}cellXfs")
    return {n for n, xf in enumerate(formats if formats is not None else [])
            if int(xf.get("numFmtId", 0)) in DATE_FORMAT_IDS | custom}


def sheet_rows(stream) -> Iterator[tuple[int, tuple]]:
    """(row number, cell values) of each row of the first sheet, in order; WorkbookError on a broken package."""
    book = zipfile.ZipFile(stream)
    workbook = _tree(book, "xl/workbook.xml")
    properties = workbook.find(f"{MAIN}workbookPr") if workbook is not None else None
    epoch = date(1904, 1, 1) if properties is not None and properties.get("date1904") in ("1", "true") \
        else date(1899, 12, 30)
    strings, dates = shared_strings(book), date_styles(book)
    with book.open(first_sheet(book)) as part:
        number = 0
        for _event, row in etree.iterparse(part, events=("end",), tag=f"{MAIN}row", **_parser_options()):
            number = int(row.get("r") or number + 1)
            yield number, _cells(row, strings, dates, epoch)
            row.clear()
            while row.getprevious() is not None:
                del row.getparent()[0]


def _cells(row, strings: list[str], dates: set[int], epoch: date) -> tuple:
    values: list = []
    for cell in row.iterchildren(_CELL):
        ref = cell.get("r")
        index = _column(ref.rstrip(_DIGITS)) if ref else len(values)
        if index >= MAX_COLUMNS:
            break
        if index > len(values):
            values.extend([None] * (index - len(values)))
        values.append(_value(cell, strings, dates, epoch))
    return tuple(values)


_CELL, _VALUE, _TEXT = f"{MAIN}c", f"{MAIN}v", f"{MAIN}t"
_DIGITS = "0123456789"


@lru_cache(maxsize=MAX_COLUMNS)
def _column(letters: str) -> int:
    """The column index (from 0) of a column's letters."""
    index = 0
    for letter in letters if _COLUMN.fullmatch(letters) else "A":
        index = index * 26 + ord(letter) - 64
    return index - 1


def _value(cell, strings: list[str], dates: set[int], epoch: date):
    kind = cell.get("t")
    if kind == "inlineStr":
        return "".join(t.text or "" for t in cell.iter(_TEXT))
    text = None
    for child in cell:
        if child.tag == _VALUE:
            text = child.text
            break
    if text is None:
        return None
    if kind == "s":
        index = int(text)
        if not 0 <= index < len(strings):
            raise WorkbookError(f"cell {cell.get('r')} names shared string {index}, which is not there")
        return strings[index]
    if kind == "b":
        return text == "1"
    if kind in ("str", "e"):
        return text
    value = float(text)
    if dates and int(cell.get("s", 0)) in dates:
        moment = datetime.combine(epoch, datetime.min.time()) + timedelta(days=value)
        return moment.date() if moment.time() == datetime.min.time() else moment
    return int(value) if value.is_integer() and "." not in text and "E" not in text.upper() else value
