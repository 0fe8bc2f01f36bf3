"""Event definitions the engine would run as plain events are refused where they are drawn: SpiffWorkflow 3.2's
parser drops, without a word, a signal on an end event, an error on a start event and the like. The table of such
pairs (engine/definitions/tree_checks.py) is checked against the pinned parser itself."""
from __future__ import annotations

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.definitions.tree_checks import IGNORED_DEFINITIONS

from .helpers import zh
from .test_validation import SAMPLE, line_of, problems_of, sample_with

SIGNAL_END = ('<bpmn:endEvent id="EndEvent_approved" name="办结">\n      <bpmn:incoming>Flow_notice_end</bpmn:incoming>',
              '<bpmn:endEvent id="EndEvent_approved" name="办结">\n      <bpmn:incoming>Flow_notice_end</bpmn:incoming>\n'
              '      <bpmn:signalEventDefinition id="SignalDef_done" signalRef="Signal_done" />')


def test_a_signal_end_event_is_refused_on_its_element_and_line(engine, session):
    files = sample_with(*SIGNAL_END)
    [problem] = problems_of(engine, session, files)
    assert (problem.file, problem.element, problem.severity) == (SAMPLE, "EndEvent_approved", "error")
    assert "endEvent 不能带 signalEventDefinition" in zh(problem) and "普通事件" in zh(problem)
    assert problem.line == line_of(files[SAMPLE].decode(), '<bpmn:signalEventDefinition id="SignalDef_done"')


DEFINITIONS = {
    "messageEventDefinition": '<bpmn:messageEventDefinition messageRef="M"/>',
    "signalEventDefinition": '<bpmn:signalEventDefinition signalRef="S"/>',
    "timerEventDefinition": '<bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration>'
                            '</bpmn:timerEventDefinition>',
    "conditionalEventDefinition": '<bpmn:conditionalEventDefinition><bpmn:condition>True</bpmn:condition>'
                                  '</bpmn:conditionalEventDefinition>',
    "errorEventDefinition": '<bpmn:errorEventDefinition errorRef="E"/>',
    "escalationEventDefinition": '<bpmn:escalationEventDefinition escalationRef="X"/>',
    "cancelEventDefinition": '<bpmn:cancelEventDefinition/>',
    "terminateEventDefinition": '<bpmn:terminateEventDefinition/>',
}
FLOW = '<bpmn:sequenceFlow id="{id}" sourceRef="{a}" targetRef="{b}"/>'


def _event_xml(tag: str, definition: str) -> bytes:
    """A process whose element `ev` is a `tag` carrying `definition`, joined by flows to a start and an end."""
    inner = DEFINITIONS[definition]
    if tag == "startEvent":
        body = (f'<bpmn:startEvent id="ev">{inner}</bpmn:startEvent>' + FLOW.format(id="f1", a="ev", b="end")
                + '<bpmn:endEvent id="end"/>')
    elif tag == "endEvent":
        body = '<bpmn:startEvent id="s"/>' + FLOW.format(id="f1", a="s", b="ev") + f'<bpmn:endEvent id="ev">{inner}</bpmn:endEvent>'
    else:
        body = ('<bpmn:startEvent id="s"/>' + FLOW.format(id="f1", a="s", b="ev") + f'<bpmn:{tag} id="ev">{inner}</bpmn:{tag}>'
                + FLOW.format(id="f2", a="ev", b="end") + '<bpmn:endEvent id="end"/>')
    return ('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">'
            '<bpmn:message id="M" name="m"/><bpmn:signal id="S" name="s"/><bpmn:error id="E" errorCode="e"/>'
            '<bpmn:escalation id="X" escalationCode="x"/><bpmn:process id="p" isExecutable="true">'
            f'{body}</bpmn:process></bpmn:definitions>').encode()


def _dropped(tag: str, definition: str) -> bool:
    parser = SpiffBpmnParser()
    parser.add_bpmn_xml(etree.fromstring(_event_xml(tag, definition)), filename="x.bpmn")
    return isinstance(parser.get_spec("p").task_specs["ev"].event_definition, NoneEventDefinition)


@pytest.mark.parametrize("tag", sorted(IGNORED_DEFINITIONS))
def test_the_table_names_exactly_the_pairs_the_pinned_parser_drops(tag):
    dropped = {definition for definition in DEFINITIONS if _dropped(tag, definition)}
    assert dropped == set(IGNORED_DEFINITIONS[tag])
