"""Checks read straight from a diagram's XML tree: property names against the vocabulary (one lawflow does not read,
or one on an element where it has no effect, is a warning with its line: it does not stop a deploy), and the BPMN
features compaction makes unsafe (refused)."""
from __future__ import annotations

from lxml import etree

from ..core.errors import Problem
from ..core.messages import Msg
from ..core.vocabulary import CATCH_EVENT, PROCESS, PROPERTIES_OF, PROPERTY_NAMES, TASK, TIMER

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
_ELEMENT_KINDS = {"process": PROCESS, "userTask": TASK, "manualTask": TASK}
_KIND_NAMES = {PROCESS: Msg("element.process"), TASK: Msg("element.task"), CATCH_EVENT: Msg("element.catch_event"),
               TIMER: Msg("element.timer")}


def check_property_names(path: str, tree, problems: list[Problem]) -> None:
    """Warn on a property lawflow does not read, or on an element where it has no effect: a typo such as
    `leaderfield` would otherwise be ignored without a word."""
    for prop in tree.iter(f"{{{SPIFF_NS}}}property"):
        owner = prop.getparent().getparent().getparent() if prop.getparent() is not None else None
        name, kind = prop.get("name") or "", _element_kind(owner)
        if name in PROPERTIES_OF.get(kind, ()):
            continue
        where = _KIND_NAMES.get(kind, Msg("element.other"))
        message = (Msg("property.misplaced", name=name, where=where, used_on=_KIND_NAMES[_kind_of(name)])
                   if name in PROPERTY_NAMES else Msg("property.unknown", name=name))
        problems.append(Problem(path, message, element=owner.get("id") if owner is not None else None,
                                line=prop.sourceline, severity="warning"))


def _element_kind(element) -> str | None:
    if element is None or not isinstance(element.tag, str):
        return None
    tag = etree.QName(element).localname
    if tag in _ELEMENT_KINDS:
        return _ELEMENT_KINDS[tag]
    catches = tag in ("startEvent", "intermediateCatchEvent", "boundaryEvent")
    if catches and element.find(f"{{{BPMN_NS}}}messageEventDefinition") is not None:
        return CATCH_EVENT
    if tag == "boundaryEvent" and element.find(f"{{{BPMN_NS}}}timerEventDefinition") is not None:
        return TIMER
    return None


def _kind_of(name: str) -> str:
    return next(kind for kind, names in PROPERTIES_OF.items() if name in names)


def check_compensation(path: str, tree, problems: list[Problem]) -> None:
    """Compensation is refused: it re-runs handlers of finished activities, which compaction (runtime/compaction.py)
    cuts from the live state after every step; SpiffWorkflow 3.2 would run a compensate event as a none event."""
    for el in tree.iter():
        if el.tag == f"{{{BPMN_NS}}}compensateEventDefinition":
            where, what = el.getparent().get("id"), Msg("compensation.event")
        elif isinstance(el.tag, str) and el.get("isForCompensation") == "true":
            where, what = el.get("id"), Msg("compensation.handler")
        else:
            continue
        problems.append(Problem(path, Msg("compensation.refused", what=what), element=where, line=el.sourceline))
