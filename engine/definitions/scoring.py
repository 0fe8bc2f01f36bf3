"""Score sheets: what a scorer entered against a standard, checked and totalled by the server (`score_sheet`).

A sheet names items by code: items left out score full points; an item with a deduction rule takes `deductions`
(each with a reason and a count), one without takes a `score`. An item or veto with an auto rule left out takes
what the records show (`findings`); entered differently it needs an `override_reason`. Totals a client sent are
never read: they are computed here, and the stored sheet is what was sent plus what was computed."""
from __future__ import annotations

import math
from fractions import Fraction

from ..core.errors import DataValidationError, FieldError
from ..core.messages import Msg
from ..core.vocabulary import STANDARD_KEYWORD
from .standards import band_for

INPUT_KEYS = ("items", "bonus", "vetoes", "notes")
REASON_CASES = 30            # case numbers a found deduction's reason names; the rest are counted
COMPUTED_KEYS = ("item_scores", "subtotals", "bonus_total", "total", "veto", "veto_items", "band", "band_label",
                 "passed", "standard", "findings")


def score_sheet(standard: dict, entry, findings: dict | None = None, *, field: str = "", path: str = "") -> dict:
    """The sheet as entered plus its computed totals, veto and band; DataValidationError naming each bad item.

    `findings` ({code: {"cases": [...], "count": n}}) are what the records show for auto items and vetoes;
    `field` is the form field the sheet is in (for error paths), `path` the standard's path (stored with it)."""
    errors: list[FieldError] = []
    sheet = _Sheet(standard, findings, field, errors)
    if not isinstance(entry, dict):
        raise DataValidationError(Msg("form.fix_count", count=1),
                                  [FieldError(field or STANDARD_KEYWORD, Msg("score.sheet_shape"), STANDARD_KEYWORD)])
    parts = {key: entry.get(key, {}) for key in ("items", "bonus", "vetoes")}
    for key, value in parts.items():
        if not isinstance(value, dict):
            errors.append(FieldError(sheet.at(key), Msg("score.sheet_shape"), STANDARD_KEYWORD))
            parts[key] = {}
    if not isinstance(entry.get("notes", ""), str):
        errors.append(FieldError(sheet.at("notes"), Msg("score.notes_shape"), STANDARD_KEYWORD))
    entered_items = sheet.items(parts["items"])
    item_scores, subtotals = sheet.item_scores(entered_items)
    bonus_total = sheet.bonus(parts["bonus"])
    entered_vetoes = sheet.vetoes(parts["vetoes"])
    if errors:
        raise DataValidationError(Msg("form.fix_count", count=len(errors)), errors)
    total = _number(sum(subtotals.values()) + bonus_total)
    veto_items = [code for code, veto in entered_vetoes.items() if veto.get("hit") is True]
    band = _band(standard, total, bool(veto_items))
    return {
        "items": entered_items, "bonus": parts["bonus"], "vetoes": entered_vetoes, "notes": entry.get("notes", ""),
        "item_scores": item_scores, "subtotals": subtotals, "bonus_total": bonus_total, "total": total,
        "veto": bool(veto_items), "veto_items": veto_items, "band": band["code"] if band else None,
        "band_label": band["label"] if band else None, "passed": _passed(standard, total, bool(veto_items), band),
        "standard": path, "findings": sheet.auto_findings(),
    }


def overrides(standard: dict, entry: dict, findings: dict) -> list[dict]:
    """Auto items and vetoes a (scored) sheet enters differently from the records: {item, found, entered, reason}."""
    found = []
    for code, item in _auto_items(standard).items():
        given = (entry.get("items") or {}).get(code)
        if isinstance(given, dict) and "override_reason" in given:
            count, entered = _expected(item, findings, code), _entered(given)
            if entered != count:
                found.append({"item": code, "found": count, "entered": entered, "reason": given["override_reason"]})
    for code in _auto_vetoes(standard):
        given = (entry.get("vetoes") or {}).get(code)
        if isinstance(given, dict) and "override_reason" in given:
            hit = _count(findings, code) > 0
            if given.get("hit") is not hit:
                found.append({"item": code, "found": hit, "entered": given.get("hit"),
                              "reason": given["override_reason"]})
    return found


def start_entry(standard: dict, findings: dict) -> dict:
    """A sheet's starting entries: each auto item's deductions and auto veto as the records show them."""
    items, vetoes = {}, {}
    for code, item in _auto_items(standard).items():
        if _count(findings, code):
            items[code] = {"deductions": [_found_deduction(item, findings[code])]}
    for code in _auto_vetoes(standard):
        if _count(findings, code):
            vetoes[code] = {"hit": True, "grounds": _case_numbers(findings[code])}
    return {"items": items, "bonus": {}, "vetoes": vetoes, "notes": "", "findings": findings}


def _auto_items(standard: dict) -> dict[str, dict]:
    return {item["code"]: item for dim in standard["dimensions"] for item in dim["items"] if "auto" in item}


def _auto_vetoes(standard: dict) -> list[str]:
    return [veto["code"] for veto in standard.get("vetoes", []) if "auto" in veto]


def _count(findings: dict | None, code: str) -> int:
    return int(((findings or {}).get(code) or {}).get("count", 0))


def _expected(item: dict, findings: dict | None, code: str) -> int:
    return occurrences(item, ((findings or {}).get(code)) or {})


def occurrences(item: dict, found: dict) -> int:
    """The occurrences the records make of an auto item: one per case found (a fixed rule: at most one; a
    per_share rule: one per `step` percent of the rows found among the `total` its rule covers, rounded up)."""
    count, rule = int(found.get("count", 0)), item["deduction"]
    if rule["kind"] == "fixed":
        return min(count, 1)
    if rule["kind"] == "per_share":
        total = int(found.get("total", 0))
        return math.ceil(Fraction(100 * count, total) / Fraction(str(rule["step"]))) if total and count else 0
    return count


def _entered(given: dict) -> int:
    deductions = given.get("deductions", [])
    if not isinstance(deductions, list):
        return 0
    return sum(d.get("count", 1) for d in deductions if isinstance(d, dict) and isinstance(d.get("count", 1), int))


def _case_numbers(found: dict) -> str:
    """The numbers of the cases found, as a reason: the first REASON_CASES of them, then how many in all."""
    cases = found.get("cases", [])
    named = ", ".join(str(case.get("number") or case.get("id")) for case in cases[:REASON_CASES])
    more = f" … ({len(cases)})" if len(cases) > REASON_CASES else ""
    share = f" ({len(cases)}/{found['total']})" if "total" in found and not more else ""
    return named + more + share


def _found_deduction(item: dict, found: dict) -> dict:
    """The deduction the records make (`occurrences`), with the cases behind it."""
    return {"reason": _case_numbers(found), "count": occurrences(item, found),
            "cases": [case.get("id") for case in found.get("cases", [])]}


class _Sheet:
    """One sheet being checked: the standard's codes, the findings, and the errors found so far."""

    def __init__(self, standard: dict, findings: dict | None, field: str, errors: list[FieldError]):
        self.standard, self.findings, self.field, self.errors = standard, findings, field, errors
        self.dimensions = [(dim["code"], [item["code"] for item in dim["items"]]) for dim in standard["dimensions"]]
        self.item_of = {item["code"]: item for dim in standard["dimensions"] for item in dim["items"]}
        self.bonus_of = {b["code"]: b for b in standard.get("bonus", [])}
        self.veto_of = {v["code"]: v for v in standard.get("vetoes", [])}
        self.veto_of.update({code: item for code, item in self.item_of.items() if item.get("veto")})

    def at(self, *parts: str) -> str:
        """A field path in forms.py's dotted convention."""
        return ".".join(p for p in (self.field, *parts) if p)

    def fail(self, where: str, code: str, what: dict, message: str, **params) -> None:
        self.errors.append(FieldError(where, Msg(message, code=code, title=what.get("title", ""), **params),
                                      STANDARD_KEYWORD))

    def items(self, entered: dict) -> dict:
        """The item entries, auto items left out filled from the findings; each entry checked."""
        out = {}
        for code, given in _in_order(entered, self.item_of):
            item = self.item_of.get(code)
            if item is None:
                self.errors.append(FieldError(self.at("items", code), Msg("score.unknown_item", code=code),
                                              STANDARD_KEYWORD))
            elif not isinstance(given, dict):
                self.fail(self.at("items", code), code, item, "score.entry_shape")
            else:
                self._check_item(code, item, given)
                out[code] = given
        if self.findings is not None:
            for code, item in _auto_items(self.standard).items():
                if code not in out and _count(self.findings, code):
                    out[code] = {"deductions": [_found_deduction(item, self.findings[code])]}
        return out

    def _check_item(self, code: str, item: dict, given: dict) -> None:
        where = self.at("items", code)
        rule = item.get("deduction")
        if not isinstance(given.get("evidence", []), list):
            self.fail(f"{where}.evidence", code, item, "score.evidence_shape")
        if rule is not None:
            if "score" in given:
                self.fail(f"{where}.score", code, item, "score.use_deductions")
            self._check_deductions(where, code, item, given.get("deductions", []))
        else:
            if "deductions" in given:
                self.fail(f"{where}.deductions", code, item, "score.use_score")
            score = given.get("score", item["points"])
            if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= item["points"]:
                self.fail(f"{where}.score", code, item, "score.range", points=item["points"])
            elif score < item["points"] and not _text(given.get("reason")):
                self.fail(f"{where}.reason", code, item, "score.score_reason")
        if "auto" in item and self.findings is not None:
            found, entered = _expected(item, self.findings, code), _entered(given)
            if entered != found and not _text(given.get("override_reason")):
                self.fail(f"{where}.override_reason", code, item, "score.override_reason", found=found,
                          entered=entered)

    def _check_deductions(self, where: str, code: str, item: dict, deductions) -> None:
        if not isinstance(deductions, list) or not all(isinstance(d, dict) for d in deductions):
            self.fail(f"{where}.deductions", code, item, "score.deductions_shape")
            return
        fixed = item["deduction"]["kind"] == "fixed"
        for n, deduction in enumerate(deductions):
            count = deduction.get("count", 1)
            if not _text(deduction.get("reason")):
                self.fail(f"{where}.deductions.{n}.reason", code, item, "score.reason_missing")
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                self.fail(f"{where}.deductions.{n}.count", code, item, "score.count")
            elif fixed and count != 1:
                self.fail(f"{where}.deductions.{n}.count", code, item, "score.fixed_once")

    def item_scores(self, entered: dict) -> tuple[dict, dict]:
        """Each item's score and each dimension's subtotal (items left out score full points)."""
        scores, subtotals = {}, {}
        for dimension, codes in self.dimensions:
            for code in codes:
                scores[code] = _number(self._score(self.item_of[code], entered.get(code)))
            subtotals[dimension] = _number(sum(scores[code] for code in codes))
        return scores, subtotals

    def _score(self, item: dict, given: dict | None) -> float:
        if not isinstance(given, dict):
            return item["points"]
        rule = item.get("deduction")
        if rule is None:
            score = given.get("score", item["points"])
            return score if isinstance(score, (int, float)) and 0 <= score <= item["points"] else 0
        deductions = given.get("deductions", [])
        counts = [d.get("count", 1) for d in deductions if isinstance(d, dict)] if isinstance(deductions, list) else []
        taken = rule["points"] * sum(c for c in counts if isinstance(c, int) and c > 0)
        return item["points"] - min(taken, rule.get("cap", item["points"]), item["points"])

    def bonus(self, entered: dict) -> float:
        """The bonus points entered, each checked against its item's maximum."""
        total = 0
        for code, given in _in_order(entered, self.bonus_of):
            bonus = self.bonus_of.get(code)
            where = self.at("bonus", code)
            if bonus is None:
                self.errors.append(FieldError(where, Msg("score.unknown_bonus", code=code), STANDARD_KEYWORD))
                continue
            points = given.get("points", 0) if isinstance(given, dict) else None
            if isinstance(points, bool) or not isinstance(points, (int, float)) or not 0 <= points <= bonus["points"]:
                self.fail(f"{where}.points", code, bonus, "score.range", points=bonus["points"])
            elif points > 0 and not _text(given.get("reason")):
                self.fail(f"{where}.reason", code, bonus, "score.bonus_reason")
            else:
                total += points
        return _number(total)

    def vetoes(self, entered: dict) -> dict:
        """The veto entries, auto vetoes left out filled from the findings; each entry checked."""
        out = {}
        for code, given in _in_order(entered, self.veto_of):
            veto = self.veto_of.get(code)
            where = self.at("vetoes", code)
            if veto is None:
                self.errors.append(FieldError(where, Msg("score.unknown_veto", code=code), STANDARD_KEYWORD))
            elif not isinstance(given, dict) or not isinstance(given.get("hit", False), bool):
                self.fail(f"{where}.hit", code, veto, "score.hit_shape")
            else:
                if given.get("hit") and not _text(given.get("grounds")):
                    self.fail(f"{where}.grounds", code, veto, "score.grounds_missing")
                self._check_veto_override(where, code, veto, given)
                out[code] = given
        if self.findings is not None:
            for code in _auto_vetoes(self.standard):
                if code not in out and _count(self.findings, code):
                    out[code] = {"hit": True, "grounds": _case_numbers(self.findings[code])}
        return out

    def _check_veto_override(self, where: str, code: str, veto: dict, given: dict) -> None:
        if "auto" not in veto or self.findings is None:
            return
        found = _count(self.findings, code) > 0
        if bool(given.get("hit")) != found and not _text(given.get("override_reason")):
            self.fail(f"{where}.override_reason", code, veto, "score.override_reason", found=int(found),
                      entered=int(bool(given.get("hit"))))

    def auto_findings(self) -> dict:
        """The findings of every auto item and veto (none found: an empty list)."""
        codes = list(_auto_items(self.standard)) + _auto_vetoes(self.standard)
        return {code: (self.findings or {}).get(code) or {"cases": [], "count": 0} for code in codes}


def _in_order(entered: dict, known: dict) -> list:
    """Entries in the standard's order (unknown codes last), so errors read down the sheet."""
    order = {code: n for n, code in enumerate(known)}
    return sorted(entered.items(), key=lambda pair: order.get(pair[0], len(order)))


def _band(standard: dict, total: float, veto: bool) -> dict | None:
    if veto and standard.get("veto_band"):
        return next(band for band in standard["bands"] if band["code"] == standard["veto_band"])
    return band_for(standard, total)


def _passed(standard: dict, total: float, veto: bool, band: dict | None) -> bool:
    rule = standard.get("pass")
    if rule is None:
        return bool(band and band.get("passed")) and not veto
    return total >= rule.get("min_total", 0) and not (veto and rule.get("no_veto", True))


def _text(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _number(value: float):
    """A points value as stored: a whole number as an int, else rounded to two places (no float dust)."""
    rounded = round(value, 2)
    return int(rounded) if float(rounded).is_integer() else rounded
