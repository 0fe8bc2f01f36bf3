"""The README's table of the diagram vocabulary, rendered from `vocabulary.TERMS` (`python -m
engine.core.vocabulary_readme` prints it; tests/test_vocabulary.py checks the README holds it as printed)."""
from __future__ import annotations

from .vocabulary import TERMS


def markdown() -> str:
    """The README's table of the vocabulary."""
    rows = ["| name | where | value | meaning |", "|---|---|---|---|"]
    rows += [f"| `{t.name}` | {t.where} | {t.parsed} | {t.meaning} |" for t in TERMS]
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
