"""An entry's values checked against its registry's fields, as a page's form, a JSON body or a workbook's cells
give them: each wrong value a FieldError named by its field (`key`, `name`, `org`, `data.<field>`), each right one
as it is stored (an enumeration's label read as its value, an organisation's name as its code, a list's items)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.errors import DataValidationError, FieldError
from ..core.messages import Msg
from ..core.models import DirectoryEntry, Organization
from ..definitions.forms import compile_pattern

MAX_TEXT = 200
# A list typed into one cell or field: items split at commas, semicolons (full-width too), the ideographic comma
# or white space (code points, so the engine holds no Chinese text).
_SEPARATORS = str.maketrans({c: "," for c in (";", "\n", "\t", " ", chr(0xFF0C), chr(0x3001), chr(0xFF1B))})


class Checker:
    """Checks an entry's values against its registry: each wrong one a FieldError named by the field."""

    def __init__(self, session: Session, registry: dict, pending: set[str] | None = None):
        self.session, self.registry = session, registry
        self.pending = pending or set()        # keys an import adds in the same file (a new entry another row names)
        self._orgs: dict[str, tuple[int, str]] | None = None

    def entry(self, values: dict, *, new: bool) -> dict:
        """key (when new), name, org_id and data of valid values; DataValidationError otherwise."""
        errors, found = self.problems(values, new=new)
        if errors:
            raise DataValidationError(Msg("form.fix_count", count=len(errors)), errors)
        return found

    def problems(self, values: dict, *, new: bool) -> tuple[list[FieldError], dict]:
        """(field errors, what was read) of the values: key, name, org (a code or name) and data by field."""
        errors: list[FieldError] = []
        found: dict[str, Any] = {"data": {}}
        if new:
            key = cell_text(values.get("key"))
            if not key:
                errors.append(FieldError("key", Msg("registry.required"), "required"))
            elif len(key) > 100:
                errors.append(FieldError("key", Msg("ledger.too_long", limit=100), "maxLength"))
            elif "keyPattern" in self.registry and not compile_pattern(self.registry["keyPattern"]).search(key):
                errors.append(FieldError("key", _pattern_message(self.registry.get("keyPatternMessage"),
                                                                 self.registry["keyPattern"]), "pattern"))
            elif self.session.scalar(select(DirectoryEntry.id).where(
                    DirectoryEntry.kind == self.registry["key"], DirectoryEntry.key == key)) is not None:
                errors.append(FieldError("key", Msg("registry.key_taken", key=key), "unique"))
            found["key"] = key
        name = cell_text(values.get("name"))
        if not name:
            errors.append(FieldError("name", Msg("registry.required"), "required"))
        elif len(name) > MAX_TEXT:
            errors.append(FieldError("name", Msg("ledger.too_long", limit=MAX_TEXT), "maxLength"))
        found["name"] = name
        org = cell_text(values.get("org"))
        found["org_id"] = None
        if org:
            known = self.organization(org)
            if known is None:
                errors.append(FieldError("org", Msg("registry.unknown_org", value=org), "organization"))
            else:
                found["org_id"] = known[0]
        data = values.get("data") or {}
        if not isinstance(data, dict):
            data = {}
        for field in self.registry["fields"]:
            value = self.value(field, data.get(field["name"]))
            if isinstance(value, Msg):
                errors.append(FieldError(f"data.{field['name']}", value, "invalid"))
            elif value is not None:
                found["data"][field["name"]] = value
        return errors, found

    def value(self, field: dict, raw) -> Any:
        """The field's value read from a form, a JSON body or a cell: None when empty (a Msg when it is required),
        else the value as stored, or the Msg saying what is wrong."""
        if field["type"] == "list":
            items = _items(raw)
            if not items:
                return Msg("registry.required") if field.get("required") else None
            for item in items:
                wrong = self._reference(field, item)
                if wrong is not None:
                    return wrong
            return [self._as_code(field, item) for item in items]
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return Msg("registry.required") if field.get("required") else None
        kind = field["type"]
        if kind == "integer":
            if isinstance(raw, float) and raw.is_integer():
                raw = int(raw)
            if isinstance(raw, str) and raw.strip().lstrip("+-").isdigit() and len(raw.strip()) <= 18:
                raw = int(raw.strip())
            return raw if isinstance(raw, int) and not isinstance(raw, bool) else Msg("ledger.bad_integer",
                                                                                      value=_shown(raw))
        if kind == "boolean":
            if isinstance(raw, bool):
                return raw
            words = {field["values"][0]: True, field["values"][1]: False, "true": True, "false": False}
            text = cell_text(raw)
            got = words.get(text, words.get(text.lower()))
            return got if got is not None else Msg("ledger.bad_choice", value=_shown(raw),
                                                   values="/".join(field["values"]))
        text = cell_text(raw)
        if kind == "enum":
            labels = field.get("labels") or field["values"]
            by_label = dict(zip(labels, field["values"]))
            if text in field["values"]:
                return text
            return by_label.get(text) or Msg("ledger.bad_choice", value=_shown(text), values="/".join(labels))
        if len(text) > field.get("maxLength", MAX_TEXT):
            return Msg("ledger.too_long", limit=field.get("maxLength", MAX_TEXT))
        if "pattern" in field and not compile_pattern(field["pattern"]).search(text):
            return _pattern_message(field.get("patternMessage"), field["pattern"])
        wrong = self._reference(field, text)
        return wrong if wrong is not None else self._as_code(field, text)

    def _reference(self, field: dict, value: str) -> Msg | None:
        if field.get("directory"):
            kind = field["directory"]
            if not (kind == self.registry["key"] and value in self.pending) and self.session.scalar(
                    select(DirectoryEntry.id).where(DirectoryEntry.kind == kind, DirectoryEntry.key == value,
                                                    DirectoryEntry.active)) is None:
                return Msg("registry.not_listed", value=value, registry=kind)
        if field.get("organization") and self.organization(value) is None:
            return Msg("registry.unknown_org", value=value)
        return None

    def _as_code(self, field: dict, value: str) -> str:
        """An organisation named by its name is stored as its code."""
        return self.organization(value)[1] if field.get("organization") else value

    def organization(self, given: str) -> tuple[int, str] | None:
        """(id, code) of the organisation with this code or name."""
        if self._orgs is None:
            self._orgs = {}
            for org_id, code, name in self.session.execute(select(Organization.id, Organization.code,
                                                                  Organization.name)):
                self._orgs[name] = self._orgs[code] = (org_id, code)
        return self._orgs.get(given)


def _pattern_message(text: str | None, pattern: str) -> Msg:
    return Msg("text", text=text) if text else Msg("registry.pattern", pattern=pattern)


def cell_text(value) -> str:
    """A value as text, stripped ("" for None; a whole number typed as a float without its ".0")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))          # a licence number typed into a cell as a number
    return str(value).strip()


def _items(raw) -> list[str]:
    """A list field's items: a list as given, or text split at commas, 、, semicolons or white space."""
    if isinstance(raw, (list, tuple)):
        items = [cell_text(item) for item in raw]
    else:
        items = cell_text(raw).translate(_SEPARATORS).split(",")
    return [item for item in dict.fromkeys(items) if item]


def _shown(value) -> str:
    text = cell_text(value)
    return text if len(text) <= 40 else text[:40] + "…"
