"""A new decision table (DMN) in a draft: a valid file with one empty decision table (one input, one output, no
rule yet) under processes/<folder>/, its decision named by the author; a bad or taken name is refused, naming the
field, and changes nothing. The table is then filled in the decision-table editor."""
from __future__ import annotations

import re
from xml.sax.saxutils import escape, quoteattr

from lxml import etree
from sqlalchemy.orm import Session

from ..core.errors import DataValidationError, FieldError
from ..core.messages import Msg
from . import drafts

KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,59}$")
FOLDER = re.compile(r"^[A-Za-z0-9_\-]{1,60}$")
MAX_NAME = 100


def new_table(session: Session, engine, draft_id: int, *, folder: str, key: str, name: str, actor: str,
              labels: tuple[str, str] = ("Input", "Output")) -> str:
    """Add a new DMN file `processes/<folder>/<key>.dmn` whose decision `key` is called `name` (`labels`: of its
    input and output column, in the author's language); its path."""
    folder, key, name = (folder or "").strip().strip("/"), (key or "").strip(), " ".join((name or "").split())
    errors = []
    if not FOLDER.match(folder):
        errors.append(FieldError("folder", Msg("dmn_new.bad_folder", folder=folder[:60]), "pattern"))
    if not KEY.match(key):
        errors.append(FieldError("key", Msg("dmn_new.bad_key", key=key[:60]), "pattern"))
    if not name or len(name) > MAX_NAME:
        errors.append(FieldError("name", Msg("dmn_new.bad_name", limit=MAX_NAME), "required"))
    if errors:
        raise DataValidationError(Msg("dmn_new.refused"), errors)
    path = f"processes/{folder}/{key}.dmn"
    files = drafts.files(session, draft_id)
    if path in files:
        raise DataValidationError(Msg("dmn_new.refused"), [FieldError("key", Msg("dmn_new.file_exists", path=path),
                                                                       "unique")])
    taken = _decision_file(files, key)
    if taken:
        raise DataValidationError(Msg("dmn_new.refused"), [FieldError(
            "key", Msg("dmn_new.decision_exists", key=key, path=taken), "unique")])
    drafts.put(session, engine, draft_id, path, table_file(key, name, *labels), actor=actor)
    return path


def table_file(key: str, name: str, input_label: str = "Input", output_label: str = "Output") -> bytes:
    """A DMN file with one decision table: an input (its expression to fill), an output, no rule."""
    title = quoteattr(name)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="Definitions_{key}" name={title} namespace="http://lawflow.example/dmn">
  <decision id="{key}" name={title}>
    <decisionTable id="Table_{key}" hitPolicy="UNIQUE">
      <input id="Input_{key}_1" label={quoteattr(input_label)}>
        <inputExpression id="Expr_{key}_1" typeRef="string"><text>{escape(INPUT_EXPRESSION)}</text></inputExpression>
      </input>
      <output id="Output_{key}_1" label={quoteattr(output_label)} name="{key}_result" typeRef="string" />
    </decisionTable>
  </decision>
</definitions>
""".encode()


INPUT_EXPRESSION = "None"


def _decision_file(files: dict[str, bytes], key: str) -> str | None:
    """The DMN file of the draft that already declares a decision with this id, if any."""
    for path, content in sorted(files.items()):
        if not path.endswith(".dmn"):
            continue
        try:
            root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            continue
        if any(d.get("id") == key for d in root.iter("{*}decision")):
            return path
    return None
