"""Checks read straight from a diagram's XML tree: property names against the vocabulary (one lawflow does not read,
or one on an element where it has no effect, is a warning with its line: it does not stop a deploy), the message each
message event names, the BPMN features compaction makes unsafe (refused), and event definitions the engine would run
as plain events (refused)."""
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


_MESSAGE_USERS = ("messageEventDefinition", "sendTask", "receiveTask")


def check_messages(path: str, tree, problems: list[Problem]) -> bool:
    """Every message event (and send or receive task) names a message the diagram declares, and every message has a
    name: SpiffWorkflow lets an event without one through, and it would then never be caught or thrown as meant.
    Return whether a problem was found."""
    declared = {m.get("id"): m for m in tree.iter(f"{{{BPMN_NS}}}message")}
    found = False
    for message in declared.values():
        if not (message.get("name") or "").strip():
            problems.append(Problem(path, Msg("validation.message_unnamed", id=message.get("id")),
                                    element=message.get("id"), line=message.sourceline))
            found = True
    for tag in _MESSAGE_USERS:
        for node in tree.iter(f"{{{BPMN_NS}}}{tag}"):
            owner = node.getparent() if tag == "messageEventDefinition" else node
            element = owner.get("id") if owner is not None else None
            ref = (node.get("messageRef") or "").strip()
            if not ref:
                if tag != "messageEventDefinition":
                    continue            # a send or receive task may leave its message to a script
                problems.append(Problem(path, Msg("validation.message_missing", element=element), element=element,
                                        line=node.sourceline))
                found = True
            elif ref not in declared:
                problems.append(Problem(path, Msg("validation.message_unknown", element=element, ref=ref),
                                        element=element, line=node.sourceline))
                found = True
    return found


# Event definitions SpiffWorkflow 3.2's parser drops without a word on these elements (it runs the event as a plain
# one): a signal end event would end without signalling, an error start event would start at once. Found by parsing
# every pair (tests/test_diagram_checks.py asks the parser again, so an upgrade that adds one is noticed).
IGNORED_DEFINITIONS = {
    "startEvent": ("errorEventDefinition", "escalationEventDefinition", "cancelEventDefinition",
                   "terminateEventDefinition"),
    "endEvent": ("signalEventDefinition", "timerEventDefinition", "conditionalEventDefinition"),
    "intermediateCatchEvent": ("errorEventDefinition", "escalationEventDefinition", "cancelEventDefinition",
                               "terminateEventDefinition"),
    "intermediateThrowEvent": ("conditionalEventDefinition", "errorEventDefinition", "cancelEventDefinition",
                               "terminateEventDefinition"),
}


def check_ignored_events(path: str, tree, problems: list[Problem]) -> None:
    """Refuse an event definition the engine would ignore on its element (see IGNORED_DEFINITIONS)."""
    for tag, definitions in IGNORED_DEFINITIONS.items():
        for event in tree.iter(f"{{{BPMN_NS}}}{tag}"):
            for definition in definitions:
                found = event.find(f"{{{BPMN_NS}}}{definition}")
                if found is not None:
                    problems.append(Problem(path, Msg("validation.event_ignored", tag=tag, definition=definition),
                                            element=event.get("id"), line=found.sourceline))
