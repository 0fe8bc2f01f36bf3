"""The searchable text of a case: the values of the data its process declares with `searchFields`, one per line,
kept on the case row at each step so that the case search reads a column, not the workflow state."""
from __future__ import annotations

import re

MAX_SEARCH_CHARS = 20_000
_NUMBER_MARKS = re.compile(r"[\s\-+()\uff08\uff09]")      # full-width brackets too
_NUMBER = re.compile(r"\d{7,}")


def search_text(data: dict, fields: list[str]) -> str | None:
    """The declared fields' text (strings, numbers, and lists of them), or None when there is none."""
    lines: list[str] = []
    for name in fields:
        for value in _scalars(data.get(name)):
            text = str(value).strip()
            if text:
                lines.append(text)
                compact = compact_number(text)
                if compact and compact != text:
                    lines.append(compact)       # a phone number written with spaces or dashes is found without
    return "\n".join(lines)[:MAX_SEARCH_CHARS] or None


def compact_number(text: str) -> str | None:
    """The text without spaces, dashes, plus signs and brackets, if that leaves a number of 7 digits or more."""
    compact = _NUMBER_MARKS.sub("", text)
    return compact if _NUMBER.fullmatch(compact) else None


def _scalars(value) -> list:
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, (str, int, float)):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, (str, int, float)) and not isinstance(v, bool)]
    return []
