"""A scoring standard as an Excel workbook and back (openpyxl), because bureaus circulate standards as spreadsheets.

Sheet names, headers and the words in cells are message codes (`workbook.*`): `text` renders them (the web passes
its Chinese renderer, so the sheets are 标准, 维度与评分项, 加分项, 否决项, 等次); reading accepts them in that
rendering or in English. A workbook that does not make a valid standard is refused with every problem, each naming
the sheet, the row and the column."""
from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable

from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from ..core.errors import BundleInvalid, Problem
from ..core.messages import Msg
from .drafts import MAX_ZIP_BYTES, MAX_ZIP_FILES, MAX_ZIP_RATIO, MAX_ZIP_RATIO_FREE
from .standards import read_standard

# (key in the standard, header code) per sheet, in column order.
ABOUT = [("title", "workbook.title"), ("scale", "workbook.scale"), ("min_total", "workbook.min_total"),
         ("no_veto", "workbook.no_veto"), ("veto_band", "workbook.veto_band"),
         ("description", "workbook.description"), ("basis", "workbook.basis")]
ITEM_COLUMNS = [("dimension_code", "workbook.dimension_code"), ("dimension", "workbook.dimension"),
                ("dimension_points", "workbook.dimension_points"), ("code", "workbook.code"),
                ("title", "workbook.item"), ("points", "workbook.points"), ("evidence", "workbook.evidence"),
                ("kind", "workbook.kind_column"), ("deduct", "workbook.deduct"), ("cap", "workbook.cap"),
                ("unit", "workbook.unit"), ("label", "workbook.label"), ("veto", "workbook.veto"),
                ("auto", "workbook.auto"), ("step", "workbook.step")]
OPTIONAL_COLUMNS = {"step"}  # added later: a workbook exported before it is read without it
BONUS_COLUMNS = [("code", "workbook.code"), ("title", "workbook.bonus_item"), ("points", "workbook.points"),
                 ("evidence", "workbook.evidence")]
VETO_COLUMNS = [("code", "workbook.code"), ("title", "workbook.veto_item"), ("evidence", "workbook.evidence"),
                ("auto", "workbook.auto")]
BAND_COLUMNS = [("code", "workbook.code"), ("label", "workbook.band"), ("min", "workbook.band_min"),
                ("max", "workbook.band_max"), ("passed", "workbook.passed")]
SHEETS = [("about", "workbook.sheet_about", None), ("items", "workbook.sheet_items", ITEM_COLUMNS),
          ("bonus", "workbook.sheet_bonus", BONUS_COLUMNS), ("vetoes", "workbook.sheet_vetoes", VETO_COLUMNS),
          ("bands", "workbook.sheet_bands", BAND_COLUMNS)]
KINDS = {"fixed": "workbook.kind_fixed", "per_occurrence": "workbook.kind_per_occurrence",
         "per_share": "workbook.kind_per_share"}
MAX_ROWS = 2000              # a standard has tens of items; a sheet past this is not one


def standard_to_workbook(standard: dict, text: Callable[[Msg], str] = str) -> bytes:
    """The standard as an .xlsx workbook (one row per item, bonus item, veto and band)."""
    book = Workbook()
    book.remove(book.active)
    say = lambda code: text(Msg(code))  # noqa: E731
    about = book.create_sheet(say("workbook.sheet_about"))
    rule = standard.get("pass", {})
    values = {**standard, "min_total": rule.get("min_total"), "no_veto": _yes(rule.get("no_veto"), say)}
    for key, code in ABOUT:
        about.append([say(code), values.get(key)])
    rows = {"items": [_item_row(dim, item, say) for dim in standard["dimensions"] for item in dim["items"]],
            "bonus": [[b["code"], b["title"], b["points"], b.get("evidence")] for b in standard.get("bonus", [])],
            "vetoes": [[v["code"], v["title"], v.get("evidence"), _json(v.get("auto"))]
                       for v in standard.get("vetoes", [])],
            "bands": [[b["code"], b["label"], b.get("min"), b.get("max"), _yes(b.get("passed"), say)]
                      for b in standard["bands"]]}
    for key, code, columns in SHEETS[1:]:
        sheet = book.create_sheet(say(code))
        sheet.append([say(header) for _, header in columns])
        for row in rows[key]:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _item_row(dim: dict, item: dict, say) -> list:
    rule = item.get("deduction") or {}
    return [dim["code"], dim["title"], dim["points"], item["code"], item["title"], item["points"],
            item.get("evidence"), say(KINDS[rule["kind"]]) if rule else None, rule.get("points"), rule.get("cap"),
            rule.get("unit"), rule.get("label"), _yes(item.get("veto"), say), _json(item.get("auto")),
            rule.get("step")]


def _yes(value, say):
    return None if value is None else say("workbook.yes") if value else say("workbook.no")


def _json(value) -> str | None:
    return json.dumps(value, ensure_ascii=False) if value is not None else None


def standard_from_workbook(content: bytes, text: Callable[[Msg], str] = str, *, name: str = "standard.xlsx") -> dict:
    """The standard a workbook holds; BundleInvalid listing every problem (sheet, row, column) otherwise."""
    reader = _Reader(name, text)
    book = reader.open(content)
    standard = reader.read(book) if book is not None else None
    if standard is not None and not reader.problems:
        checked, problems = read_standard(name, json.dumps(standard, ensure_ascii=False).encode())
        reader.problems += [reader.locate(p) for p in problems]
    if reader.problems:
        raise BundleInvalid(reader.problems)
    return standard


class _Reader:
    """Reads one workbook, noting each problem with its sheet, row and column."""

    def __init__(self, name: str, text: Callable[[Msg], str]):
        self.name, self.problems = name, []
        self.words = {code: {str(Msg(code)), text(Msg(code))} for code in _codes()}
        self.places: dict[str, tuple[str, int]] = {}       # JSON pointer -> (sheet, row) it came from

    def open(self, content: bytes):
        try:
            too_large = _past_limits(content)
            if too_large is not None:
                self.problems.append(Problem(self.name, too_large))
                return None
            return load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
            self.problems.append(Problem(self.name, Msg("workbook.unreadable", detail=str(exc) or type(exc).__name__)))
            return None

    def problem(self, sheet: str, row: int | None, column: int | None, message: Msg) -> None:
        cell = f"{get_column_letter(column)}{row}" if column and row else (str(row) if row else "")
        self.problems.append(Problem(self.name, Msg("workbook.cell", sheet=sheet, row=row or "-",
                                                    column=get_column_letter(column) if column else "-",
                                                    detail=message), element=f"{sheet}!{cell}", line=row))

    def is_word(self, value, code: str) -> bool:
        return isinstance(value, str) and value.strip() in self.words[code]

    def read(self, book) -> dict | None:
        sheets = {}
        for key, code, _ in SHEETS:
            found = next((s for s in book.worksheets if s.title in self.words[code]), None)
            if found is None and key in ("about", "items", "bands"):
                self.problem(next(iter(sorted(self.words[code]))), None, None, Msg("workbook.sheet_missing"))
            sheets[key] = found
        if self.problems:
            return None
        standard = self._about(sheets["about"])
        standard["dimensions"] = self._items(sheets["items"])
        for key, columns in (("bonus", BONUS_COLUMNS), ("vetoes", VETO_COLUMNS)):
            if sheets[key] is not None:
                found = self._entries(sheets[key], columns, key)
                if found:
                    standard[key] = found
        standard["bands"] = self._entries(sheets["bands"], BAND_COLUMNS, "bands")
        return standard

    def _about(self, sheet) -> dict:
        values = {}
        for number, row in enumerate(sheet.iter_rows(max_row=MAX_ROWS, values_only=True), start=1):
            label = row[0] if row else None
            key = next((k for k, code in ABOUT if self.is_word(label, code)), None)
            if key is not None:
                values[key] = self._value(sheet.title, number, 2, row[1] if len(row) > 1 else None, key)
                self.places[f"/{'pass/' if key in ('min_total', 'no_veto') else ''}{key}"] = (sheet.title, number)
        standard = {k: values[k] for k in ("title", "scale", "description", "basis") if values.get(k) is not None}
        rule = {k: values[k] for k in ("min_total", "no_veto") if values.get(k) is not None}
        if rule:
            standard["pass"] = rule
        if values.get("veto_band") is not None:
            standard["veto_band"] = values["veto_band"]
        return standard

    def _rows(self, sheet, columns):
        """(row number, {key: value}) of each filled row under a header naming every column."""
        rows = sheet.iter_rows(max_row=MAX_ROWS, values_only=True)
        header = next(rows, ())
        where = {}
        for key, code in columns:
            index = next((i for i, h in enumerate(header) if self.is_word(h, code)), None)
            if index is None and key in OPTIONAL_COLUMNS:
                continue
            if index is None:
                self.problem(sheet.title, 1, len(header) + 1, Msg("workbook.column_missing",
                                                                   column=sorted(self.words[code])[-1]))
            where[key] = index
        if None in where.values():
            return
        for number, row in enumerate(rows, start=2):
            if any(v not in (None, "") for v in row):
                yield number, {key: self._value(sheet.title, number, i + 1, row[i] if i < len(row) else None, key)
                               for key, i in where.items()}, where

    def _value(self, sheet: str, row: int, column: int, value, key: str):
        """A cell's value in the standard's terms, or None (noting a problem when it cannot be read)."""
        if isinstance(value, str):
            value = value.strip() or None
        if value is None:
            return None
        if key in ("scale", "points", "dimension_points", "deduct", "cap", "step", "min", "max", "min_total"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.problem(sheet, row, column, Msg("workbook.number", value=value))
                return None
            return int(value) if float(value).is_integer() else value
        if key in ("veto", "passed", "no_veto"):
            if self.is_word(value, "workbook.yes") or value is True:
                return True
            if self.is_word(value, "workbook.no") or value is False:
                return False
            self.problem(sheet, row, column, Msg("workbook.yes_no", value=value))
            return None
        if key == "kind":
            kind = next((k for k, code in KINDS.items() if value == k or self.is_word(value, code)), None)
            if kind is None:
                self.problem(sheet, row, column, Msg("workbook.kind", value=value))
            return kind
        if key == "auto":
            try:
                return json.loads(value) if isinstance(value, str) else self._not_json(sheet, row, column, value)
            except ValueError as exc:
                return self._not_json(sheet, row, column, exc)
        return str(value) if not isinstance(value, str) else value

    def _not_json(self, sheet, row, column, detail) -> None:
        self.problem(sheet, row, column, Msg("workbook.json", detail=str(detail)))
        return None

    def _items(self, sheet) -> list[dict]:
        dimensions: dict[str, dict] = {}
        for number, cells, where in self._rows(sheet, ITEM_COLUMNS):
            code = cells["dimension_code"]
            if code is None:
                self.problem(sheet.title, number, where["dimension_code"] + 1, Msg("workbook.required"))
                continue
            dim = dimensions.setdefault(code, {"code": code, "title": cells["dimension"],
                                               "points": cells["dimension_points"], "items": [], "row": number})
            if (cells["dimension"], cells["dimension_points"]) != (dim["title"], dim["points"]):
                self.problem(sheet.title, number, where["dimension"] + 1,
                             Msg("workbook.dimension_differs", dimension=code, row=dim["row"]))
            item = {k: cells[k] for k in ("code", "title", "points", "evidence") if cells[k] is not None}
            if cells["kind"] is not None or cells["deduct"] is not None:
                rule = {"kind": cells["kind"], "points": cells["deduct"]}
                rule.update({k: cells[k] for k in ("cap", "unit", "label", "step") if cells.get(k) is not None})
                item["deduction"] = rule
            if cells["veto"]:
                item["veto"] = True
            if cells["auto"] is not None:
                item["auto"] = cells["auto"]
            d = list(dimensions).index(code)
            self.places[f"/dimensions/{d}/items/{len(dim['items'])}"] = (sheet.title, number)
            self.places.setdefault(f"/dimensions/{d}", (sheet.title, dim["row"]))
            dim["items"].append(item)
        return [{k: v for k, v in dim.items() if k != "row" and v is not None} for dim in dimensions.values()]

    def _entries(self, sheet, columns, key: str) -> list[dict]:
        found = []
        for number, cells, _ in self._rows(sheet, columns):
            self.places[f"/{key}/{len(found)}"] = (sheet.title, number)
            found.append({k: v for k, v in cells.items() if v is not None})
        return found

    def locate(self, problem: Problem) -> Problem:
        """A problem of the standard made from the workbook, at the sheet and row its JSON pointer came from."""
        pointer = problem.element or ""
        best = max((p for p in self.places if pointer == p or pointer.startswith(p + "/")), key=len, default=None)
        sheet, row = self.places.get(best, (self.name, None))
        return Problem(self.name, Msg("workbook.cell", sheet=sheet, row=row or "-", column="-", detail=problem.msg),
                       element=f"{sheet}!{row or ''}", line=row)


def _past_limits(content: bytes) -> Msg | None:
    """Why a workbook is refused before openpyxl reads it: parts that would inflate past the draft import's limits
    (zipfile itself stops at a part that inflates past what its header declares); None when within them."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        entries = archive.infolist()
    inflated = sum(entry.file_size for entry in entries)
    if len(entries) > MAX_ZIP_FILES or inflated > MAX_ZIP_BYTES or (
            inflated > MAX_ZIP_RATIO_FREE and inflated > MAX_ZIP_RATIO * max(len(content), 1)):
        return Msg("workbook.too_large", parts=len(entries), mb=round(inflated / 1024 / 1024, 1))
    return None


def _codes() -> list[str]:
    codes = [code for _, code in ABOUT] + [code for _, code, _ in SHEETS] + list(KINDS.values())
    codes += [code for columns in (ITEM_COLUMNS, BONUS_COLUMNS, VETO_COLUMNS, BAND_COLUMNS) for _, code in columns]
    return codes + ["workbook.yes", "workbook.no"]
