"""The grammar of business-number patterns such as 〔{year}〕样例第{seq:04d}号: what a diagram may declare.

Checked when a bundle is validated and again by `engine.records.numbering` before each number is formatted."""
from __future__ import annotations

import re
import string

from ..core.messages import Msg

PATTERN_FIELDS = frozenset({"year", "month", "day", "seq"})
# A pattern is written by people and not trusted: `{seq:0999999999d}` alone would build a gigabyte string. These
# bounds keep every number short; the pattern is a key of the sequence table (200 characters) and the number
# is stored in a column of 100.
MAX_PATTERN_CHARS = 100
MAX_FIELD_WIDTH = 20          # width and precision of one field, e.g. the 04 of {seq:04d}
MAX_NUMBER_CHARS = 100
# Python's format mini-language: [[fill]align][sign][z][#][0][width][grouping][.precision][type]
_SPEC = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(?P<width>\d*)[_,]?(?:\.(?P<precision>\d+))?[bcdeEfFgGnosxX%]?",
                   re.DOTALL)
_SAMPLE = {"year": 2026, "month": 12, "day": 31, "seq": 123456789}


def pattern_problem(pattern: str) -> Msg | str | None:
    """Why a business-number pattern cannot be used (a message), or None when it is fine.

    Checked when a bundle is validated and again before each number is formatted, so a pattern stored before
    these bounds existed cannot build a huge string either."""
    if len(pattern) > MAX_PATTERN_CHARS:
        return Msg("pattern.too_long", limit=MAX_PATTERN_CHARS, length=len(pattern))
    try:
        fields = [(name, spec) for _, name, spec, _ in string.Formatter().parse(pattern) if name is not None]
    except ValueError as exc:
        return str(exc)
    bad = [name for name, _ in fields if name not in PATTERN_FIELDS]
    if bad:
        return Msg("pattern.fields", allowed="{" + ", ".join(sorted(PATTERN_FIELDS)) + "}", found=str(bad))
    for name, spec in fields:
        problem = _spec_problem(name, spec)
        if problem:
            return problem
    try:
        sample = pattern.format(**_SAMPLE)
    except (ValueError, TypeError) as exc:
        return Msg("pattern.cannot_format", detail=str(exc))
    if len(sample) > MAX_NUMBER_CHARS:
        return Msg("pattern.number_too_long", limit=MAX_NUMBER_CHARS)
    return None


def _spec_problem(name: str, spec: str) -> Msg | None:
    """A field's format spec must be plain (no nested fields) with a small width and precision."""
    match = _SPEC.fullmatch(spec)
    if "{" in spec or match is None:
        return Msg("pattern.bad_spec", field=f"{{{name}:{spec}}}")
    for part in ("width", "precision"):
        if match.group(part) and int(match.group(part)) > MAX_FIELD_WIDTH:
            return Msg("pattern.spec_too_wide", field=f"{{{name}:{spec}}}", limit=MAX_FIELD_WIDTH)
    return None


def typed_candidates(typed: str, patterns: list[str]) -> list[str]:
    """The numbers a person may mean by what he typed: the text itself, and, for each pattern with as many fields
    as the text has digit groups, the pattern filled with them in order (so `2025样例1` finds
    `〔2025〕样例第0001号`; the pattern's own punctuation and words need not be typed)."""
    typed = typed.strip()
    found = [typed] if typed else []
    groups = [int(group) for group in re.findall(r"\d+", typed)[:4]]
    for pattern in patterns:
        if pattern_problem(pattern) is not None:
            continue
        names = [name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None]
        if groups and len(names) == len(groups):
            number = pattern.format(**dict(zip(names, groups)))
            if number not in found:
                found.append(number)
    return found
