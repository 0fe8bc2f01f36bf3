"""The diagrams shipped in processes/ deploy cleanly and are fully drawn (every element has a shape or edge)."""
from __future__ import annotations

import pytest
from lxml import etree

from engine.definitions import bundles
from engine.definitions.validation import parse_bundle
from engine.runtime.engine import Engine

from .conftest import ROOT

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NOT_DRAWN = {"definitions", "process", "laneSet", "message", "collaboration", "messageEventDefinition",
             "timerEventDefinition", "dataObject", "dataOutputAssociation", "dataInputAssociation", "documentation",
             "extensionElements", "conditionExpression", "incoming", "outgoing", "script", "flowNodeRef", "property",
             "timeDate", "timeDuration", "timeCycle", "inputDataItem", "outputDataItem"}   # a loop's items: not shapes


def test_shipped_bundle_has_no_problems():
    _, problems = parse_bundle(bundles.collect(ROOT), Engine().sandbox)
    assert problems == []


@pytest.mark.parametrize("path", sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "processes").rglob("*.bpmn")))
def test_every_element_is_drawn(path):
    tree = etree.parse(str(ROOT / path))
    elements = {e.get("id") for e in tree.iter() if isinstance(e.tag, str) and e.get("id")
                and etree.QName(e).namespace == BPMN and etree.QName(e).localname not in NOT_DRAWN}
    drawn = {e.get("bpmnElement") for e in tree.iter() if isinstance(e.tag, str) and e.get("bpmnElement")}
    assert sorted(elements - drawn) == []


@pytest.mark.parametrize("path", sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "processes").rglob("*.bpmn")))
def test_every_flow_node_is_drawn_inside_its_lane(path):
    tree = etree.parse(str(ROOT / path))
    ns = {"bpmn": BPMN, "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
          "dc": "http://www.omg.org/spec/DD/20100524/DC"}
    bounds = {s.get("bpmnElement"): [float(s.find("dc:Bounds", ns).get(k)) for k in ("x", "y", "width", "height")]
              for s in tree.iterfind(".//bpmndi:BPMNShape", ns)}
    boundary = {e.get("id") for e in tree.iterfind(".//bpmn:boundaryEvent", ns)}   # they sit on their task's border
    misplaced = []
    for lane in tree.iterfind(".//bpmn:lane", ns):
        lx, ly, lw, lh = bounds[lane.get("id")]
        for ref in lane.iterfind("bpmn:flowNodeRef", ns):
            x, y, w, h = bounds[ref.text]
            if ref.text not in boundary and not (lx <= x + w / 2 <= lx + lw and ly <= y + h / 2 <= ly + lh):
                misplaced.append((ref.text, lane.get("name")))
    assert misplaced == []
