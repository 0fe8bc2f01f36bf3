"""A score sheet on the task page: a form field naming a standard (`x-standard`, see web/standards.py).

`view` lays out every dimension's items with the entries, errors, auto findings and the earlier sheet's scores;
`parse` turns the posted inputs (named like repeating groups: `score.items[D1.2].deductions[0].reason`) back into
the sheet's JSON; `preview` computes what the page shows before the engine's stored result exists (the browser
recomputes it while typing, static/score-sheet.js; the engine recomputes it on submission and its result wins)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from engine.definitions import scoring

RESULT_KEYS = ("item_scores", "subtotals", "bonus_total", "total", "veto", "veto_items", "band", "band_label",
               "passed")
SECTIONS = ("items", "bonus", "vetoes")


@dataclass
class Entry:
    """One item, bonus item or veto of the sheet as the page shows it."""

    code: str
    title: str
    base: str                               # the HTML name its inputs start with
    spec: dict
    entry: dict
    points: Any = None
    score: Any = None
    earlier: Any = None                     # the earlier sheet's score of this item
    earlier_entry: dict = field(default_factory=dict)   # … and what its scorer entered (reasons, note, evidence)
    finding: dict | None = None             # {"cases": [{"id", "number", "ledger"?}], "count", "total"?}
    veto: dict = field(default_factory=dict)    # a veto item's own veto entry (kept under "vetoes" by its code)
    veto_base: str = ""                         # … and the HTML name its inputs start with
    errors: list[str] = field(default_factory=list)
    files: list[tuple[int, str]] = field(default_factory=list)

    @property
    def found(self) -> int | None:
        """The occurrences the records make of this auto item (None: it has no findings or no deduction rule)."""
        if not self.finding or not self.spec.get("deduction"):
            return None
        return scoring.occurrences(self.spec, self.finding)

    @property
    def differs(self) -> bool:
        """Whether the earlier sheet scored this item otherwise."""
        return self.earlier is not None and self.score is not None and self.earlier != self.score


@dataclass
class Dimension:
    """A dimension with its items and subtotal."""

    code: str
    title: str
    points: Any
    items: list[Entry]
    subtotal: Any


@dataclass
class Sheet:
    """Everything the sheet's template needs."""

    name: str
    standard: dict
    dimensions: list[Dimension]
    bonus: list[Entry]
    vetoes: list[Entry]
    notes: str
    result: dict
    compare: bool
    case_id: int | None = None
    compare_label: str = ""                 # the compared sheet's field title, for the column's heading
    errors: list[str] = field(default_factory=list)


@dataclass
class PrintField:
    """What the sheet's template macro takes in place of a form field, on the printable page."""

    name: str
    label: str
    sheet: Sheet


def view(standard: dict, value, errors: dict[str, str], name: str, *, earlier: dict | None = None,
         compare: bool = False, files: dict[int, str] | None = None, case_id: int | None = None,
         findings: dict | None = None, compare_label: str = "") -> Sheet:
    """The sheet filled with `value` (entries and, once scored, the stored result), field errors by dotted path
    placed beside their items, the earlier sheet's item scores when comparing, and the auto findings (those the
    value holds, else `findings`)."""
    value = value if isinstance(value, dict) else {}
    findings = value.get("findings") or findings or {}
    shown = result(standard, value, findings)
    earlier_scores = ((earlier or {}).get("item_scores") or {}) if compare else {}
    earlier_items = ((earlier or {}).get("items") or {}) if compare else {}
    files = files or {}
    placed, loose = _place(errors, name, standard)

    def entry(section: str, spec: dict) -> Entry:
        code = str(spec.get("code"))
        held = ((value.get(section) or {}).get(code)) or {}
        made = Entry(code=code, title=spec.get("title", code), base=f"{name}.{section}[{code}]", spec=spec,
                     entry=held if isinstance(held, dict) else {}, points=spec.get("points"),
                     finding=findings.get(code), errors=placed.get((section, code), []))
        if section == "items":
            made.score = shown["item_scores"].get(code)
            made.earlier = earlier_scores.get(code)
            made.earlier_entry = earlier_entry(earlier_items.get(code), files)
            made.files = [(i, files[i]) for i in made.entry.get("evidence") or [] if i in files]
            if spec.get("veto"):
                held_veto = (value.get("vetoes") or {}).get(code)
                made.veto = held_veto if isinstance(held_veto, dict) else {}
                made.veto_base = f"{name}.vetoes[{code}]"
                made.errors = made.errors + placed.get(("vetoes", code), [])
        return made

    dimensions = [Dimension(str(d.get("code")), d.get("title", ""), d.get("points"),
                            [entry("items", item) for item in d.get("items") or []],
                            shown["subtotals"].get(str(d.get("code"))))
                  for d in standard.get("dimensions") or []]
    return Sheet(name=name, standard=standard, dimensions=dimensions,
                 bonus=[entry("bonus", b) for b in standard.get("bonus") or []],
                 vetoes=[entry("vetoes", v) for v in standard.get("vetoes") or []],
                 notes=value.get("notes") or "", result=shown, compare=compare, case_id=case_id,
                 compare_label=compare_label, errors=loose)


def earlier_entry(held, files: dict[int, str]) -> dict:
    """What the earlier scorer entered for an item, to read beside it: the reasons of the deductions (with their
    counts) or of the score, the note and the evidence files (id, name)."""
    held = held if isinstance(held, dict) else {}
    reasons = [f"{d.get('reason')} × {d.get('count', 1)}" for d in held.get("deductions") or []
               if isinstance(d, dict) and d.get("reason")]
    if held.get("reason"):
        reasons.append(str(held["reason"]))
    evidence = [(i, files[i]) for i in held.get("evidence") or [] if i in files]
    return {"reasons": reasons, "note": held.get("note") or "", "files": evidence} if held else {}


def _place(errors: dict[str, str], name: str, standard: dict) -> tuple[dict[tuple[str, str], list[str]], list[str]]:
    """Errors of the sheet's entries by (section, code), the longest code that starts the path; the rest loose."""
    codes = {"items": [str(i.get("code")) for d in standard.get("dimensions") or [] for i in d.get("items") or []],
             "bonus": [str(b.get("code")) for b in standard.get("bonus") or []],
             "vetoes": [str(v.get("code")) for v in standard.get("vetoes") or []]
             + [str(i.get("code")) for d in standard.get("dimensions") or [] for i in d.get("items") or [] if i.get("veto")]}
    placed: dict[tuple[str, str], list[str]] = {}
    loose = []
    for path, text in errors.items():
        if not path.startswith(f"{name}."):
            continue
        rest = path[len(name) + 1:]
        section = next((s for s in SECTIONS if rest.startswith(f"{s}.")), None)
        tail = rest[len(section) + 1:] if section else ""
        found = max((c for c in codes.get(section, []) if tail == c or tail.startswith(f"{c}.")), key=len,
                    default=None)
        if found is None:
            loose.append(text)
        else:
            placed.setdefault((section, found), []).append(text)
    return placed, loose


# ---------------------------------------------------------------- the page's preview of the result

def result(standard: dict, sheet: dict, findings: dict | None = None) -> dict:
    """The sheet's result: the engine's stored one once it has scored the sheet, else the page's preview."""
    if all(key in sheet for key in ("item_scores", "subtotals", "total")):
        return {**preview(standard, sheet, findings), **{k: sheet[k] for k in RESULT_KEYS if k in sheet}}
    return preview(standard, sheet, findings)


def preview(standard: dict, sheet: dict, findings: dict | None = None) -> dict:
    """Item scores, subtotals, bonus, total, veto and band of the entries as the page shows them (as the engine
    scores them: an auto item or veto left out takes what the records show)."""
    items, bonus, vetoes = (sheet.get(s) or {} for s in SECTIONS)
    found = {code: int((f or {}).get("count", 0)) for code, f in (findings or {}).items()}
    scores, subtotals = {}, {}
    findings = findings or {}
    for dimension in standard.get("dimensions") or []:
        subtotal = 0
        for item in dimension.get("items") or []:
            code = str(item.get("code"))
            held = items.get(code)
            if held is None and "auto" in item and found.get(code):
                held = {"deductions": [{"count": scoring.occurrences(item, findings[code])}]}
            scores[code] = item_score(item, held or {})
            subtotal += scores[code]
        subtotals[str(dimension.get("code"))] = _tidy(subtotal)
    bonus_total = _tidy(sum(min(_number((bonus.get(str(b.get("code"))) or {}).get("points")) or 0, b.get("points", 0))
                            for b in standard.get("bonus") or []))
    veto_codes = [str(i.get("code")) for d in standard.get("dimensions") or [] for i in d.get("items") or []
                  if i.get("veto")] + [str(v.get("code")) for v in standard.get("vetoes") or []]
    auto_vetoes = {str(v.get("code")) for v in standard.get("vetoes") or [] if "auto" in v}
    veto_items = [code for code in veto_codes
                  if _hit(vetoes.get(code)) or (code not in vetoes and code in auto_vetoes and found.get(code))]
    total = _tidy(sum(subtotals.values()) + bonus_total)
    band = band_of(standard, total, bool(veto_items))
    rule = standard.get("pass") or {}
    passed = (not (veto_items and rule.get("no_veto", True)) and total >= rule.get("min_total", -math.inf)
              and bool(band.get("passed", True)))
    return {"item_scores": scores, "subtotals": subtotals, "bonus_total": bonus_total, "total": total,
            "veto": bool(veto_items), "veto_items": veto_items, "band": band.get("code"),
            "band_label": band.get("label", ""), "passed": passed}


def item_score(item: dict, entry: dict) -> Any:
    """One item's score: its points less its deductions (capped), or the score entered (0 if out of range); full
    points if untouched."""
    points = item.get("points", 0)
    rule = item.get("deduction")
    if rule:
        count = sum(_number(d.get("count")) or 1 for d in entry.get("deductions") or [] if isinstance(d, dict))
        return _tidy(max(0, points - min(rule.get("cap", points), rule.get("points", 0) * count)))
    if "score" not in entry:
        return points
    entered = _number(entry.get("score"))
    return entered if entered is not None and 0 <= entered <= points else 0


def band_of(standard: dict, total, veto: bool) -> dict:
    """The band a total falls in (half-open [min, max)); with a veto, the standard's veto band."""
    bands = standard.get("bands") or []
    if veto and standard.get("veto_band"):
        found = next((b for b in bands if b.get("code") == standard["veto_band"]), None)
        if found:
            return found
    return next((b for b in bands if b.get("min", -math.inf) <= total < b.get("max", math.inf)), {})


def _hit(entry) -> bool:
    return isinstance(entry, dict) and entry.get("hit") is True


def _number(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _tidy(value):
    """Whole numbers as integers (4.0 → 4), others to two decimals."""
    return int(value) if float(value).is_integer() else round(value, 2)


# ---------------------------------------------------------------- posted inputs → the sheet's JSON

def parse(form, name: str, uploaded: dict[str, list[dict]] | None = None) -> dict:
    """The sheet posted under `name`: entries of items, bonus items and vetoes that hold anything, and the notes.
    Empty rows are left out; text that is not a number stays text so the check names its item."""
    uploaded = uploaded or {}
    sheet: dict[str, Any] = {}
    for section in SECTIONS:
        entries = {}
        for code in _codes(form, uploaded, f"{name}.{section}["):
            base = f"{name}.{section}[{code}]"
            found = {"items": _item, "bonus": _bonus, "vetoes": _veto}[section](form, uploaded, base)
            if found:
                entries[code] = found
        if entries:
            sheet[section] = entries
    notes = form.get(f"{name}.notes", "").strip()
    if notes:
        sheet["notes"] = notes
    return sheet


def _codes(form, uploaded, start: str) -> list[str]:
    found = []
    for key in [*form.keys(), *uploaded.keys()]:
        if key.startswith(start) and "]" in key[len(start):]:
            code = key[len(start):].split("]", 1)[0]
            if code and code not in found:
                found.append(code)
    return found


def _item(form, uploaded, base: str) -> dict:
    entry = _texts(form, base, ("reason", "note", "override_reason"))
    rows = []
    for index in sorted(_indices(form, f"{base}.deductions[")):
        reason = form.get(f"{base}.deductions[{index}].reason", "").strip()
        count = form.get(f"{base}.deductions[{index}].count", "").strip()
        if reason or count:
            rows.append({"reason": reason, "count": _scalar(count) if count else 1})
    if rows:
        entry["deductions"] = rows
    score = form.get(f"{base}.score", "").strip()
    if score:
        entry["score"] = _scalar(score)
    kept = {int(v) for v in form.getlist(f"{base}.evidence.keep") if v.isdigit()}
    evidence = [a["attachment_id"] for a in uploaded.get(f"{base}.evidence.previous", []) if a["attachment_id"] in kept]
    evidence += [a["attachment_id"] for a in uploaded.get(f"{base}.evidence", [])]
    if evidence:
        entry["evidence"] = evidence
    if not rows and form.get(f"{base}.found") == "1":
        entry["deductions"] = []            # the records' deductions removed: entered as none, not left to them
    return entry


def _bonus(form, _uploaded, base: str) -> dict:
    entry = _texts(form, base, ("reason",))
    points = form.get(f"{base}.points", "").strip()
    if points:
        entry["points"] = _scalar(points)
    return entry


def _veto(form, _uploaded, base: str) -> dict:
    """A veto's entry: the last of its hidden `false` and its check box; kept when hit, explained, or found."""
    entry = _texts(form, base, ("grounds", "override_reason"))
    marks = form.getlist(f"{base}.hit")
    hit = bool(marks) and marks[-1] == "true"
    if hit or entry or form.get(f"{base}.found") == "1":
        entry["hit"] = hit
    return entry


def _texts(form, base: str, names: tuple[str, ...]) -> dict:
    return {n: form.get(f"{base}.{n}").strip() for n in names if form.get(f"{base}.{n}", "").strip()}


def _indices(form, start: str) -> set[int]:
    return {int(number) for key in form.keys() if key.startswith(start)
            for number in [key[len(start):].split("]", 1)[0]] if number.isdigit()}


def _scalar(text: str):
    """An integer or decimal typed, else the text itself (the engine's check names the item)."""
    try:
        whole = int(text)
    except ValueError:
        pass
    else:
        return whole if -2 ** 63 <= whole < 2 ** 63 else text
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) else text


def evidence_fields(form_keys, file_keys, name: str) -> list[str]:
    """HTML names of the evidence uploads of a sheet's items that this request carries."""
    start = f"{name}.items["
    found = []
    for key in [*file_keys, *(k[:-len(".keep")] for k in form_keys if k.endswith(".evidence.keep"))]:
        if key.startswith(start) and key.endswith("].evidence") and key not in found:
            found.append(key)
    return found
