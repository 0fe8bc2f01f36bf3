"""The properties panel labels every lawflow property of the vocabulary in Chinese: a term without an entry in
`PROPERTY_TEXT` (web/assets-src/modeler/labels.js) would show its English name and meaning to a Chinese reader."""
from __future__ import annotations

import re
from pathlib import Path

from engine.core import vocabulary

LABELS = (Path(__file__).resolve().parents[1] / "web/assets-src/modeler/labels.js").read_text(encoding="utf-8")


def test_every_property_of_the_vocabulary_has_a_label_and_a_hint_in_chinese():
    found = re.findall(r'^\s+(\w+): \["([^"]+)", "((?:[^"\\]|\\.)+)"', LABELS, re.M)
    text = {name: (label, hint) for name, label, hint in found}          # property name -> (label, hint)
    zh = LABELS[LABELS.index("export const ZH"):]
    missing = [t.name for t in vocabulary.TERMS if t.where in vocabulary.PROPERTIES_OF and t.name not in text]
    assert missing == []
    untranslated = [t.name for t in vocabulary.TERMS if t.where in vocabulary.PROPERTIES_OF
                    and f'"{text[t.name][0]}":' not in zh]
    assert untranslated == []
    assert text[vocabulary.LIMIT_PROPERTY][0] == "Row of the limits table"
