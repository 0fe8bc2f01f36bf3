"""The diagrams shipped in processes/ deploy cleanly and are fully drawn (every element has a shape or edge)."""
from __future__ import annotations

import importlib.util
import re

import pytest
from lxml import etree

from engine.definitions import bundles
from engine.definitions.validation import parse_bundle
from engine.runtime.engine import Engine

from .conftest import ROOT
from .diagram_layout import Diagram, layout_problems

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NOT_DRAWN = {"definitions", "process", "laneSet", "message", "signal", "collaboration", "messageEventDefinition",
             "signalEventDefinition",
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


# The complaint's termination: 终止审批 and 终止审批 during a suspension into 同意终止？, then 终止办理, its notice and end.
TERMINATION = ("Task_approve_termination_suspended", "Gateway_termination_ok", "Script_terminated",
               "Throw_termination_notice", "End_terminated")


def test_the_complaint_termination_is_drawn_clear_of_other_shapes_and_flows():
    """Every flow into or out of the termination's steps starts and ends on its shapes' borders and runs through no
    other shape (the refusal back to 调查 up to the trunk it shares with the other refusals); no other flow runs
    through those steps; the flows of 终止审批 during a suspension cross no line but the approval's."""
    ns = {"bpmn": BPMN, "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
          "dc": "http://www.omg.org/spec/DD/20100524/DC", "di": "http://www.omg.org/spec/DD/20100524/DI"}
    tree = etree.parse(str(ROOT / "processes/complaint/lawyer_complaint.bpmn"))
    ends = {f.get("id"): (f.get("sourceRef"), f.get("targetRef")) for f in tree.iterfind(".//bpmn:sequenceFlow", ns)}
    kinds = {e.get("id"): etree.QName(e).localname for e in tree.iter() if isinstance(e.tag, str) and e.get("id")}
    shapes = {s.get("bpmnElement"): [float(s.find("dc:Bounds", ns).get(k)) for k in ("x", "y", "width", "height")]
              for s in tree.iterfind(".//bpmndi:BPMNShape", ns)
              if kinds[s.get("bpmnElement")] not in ("lane", "participant", "subProcess")}
    lines = {e.get("bpmnElement"): [(float(w.get("x")), float(w.get("y"))) for w in e.iterfind("di:waypoint", ns)]
             for e in tree.iterfind(".//bpmndi:BPMNEdge", ns)}

    def through(a, b, box) -> bool:         # an orthogonal segment through a shape's inside
        x, y, w, h = box[0] + 1, box[1] + 1, box[2] - 2, box[3] - 2
        if a[0] == b[0]:
            return x < a[0] < x + w and min(a[1], b[1]) < y + h and max(a[1], b[1]) > y
        return y < a[1] < y + h and min(a[0], b[0]) < x + w and max(a[0], b[0]) > x

    def on_border(point, box, diamond: bool = False) -> bool:
        x, y, w, h = box
        if diamond:                         # a gateway's outline
            return abs(abs(point[0] - x - w / 2) + abs(point[1] - y - h / 2) - w / 2) <= 1
        inside = x - 1 <= point[0] <= x + w + 1 and y - 1 <= point[1] <= y + h + 1
        return inside and (min(abs(point[0] - x), abs(point[0] - x - w)) <= 1
                           or min(abs(point[1] - y), abs(point[1] - y - h)) <= 1)

    def crosses(one, other) -> bool:        # two orthogonal polylines cross (a shared end point is no crossing)
        for a, b in zip(one, one[1:]):
            for c, d in zip(other, other[1:]):
                if (a[0] == b[0]) != (c[0] == d[0]):
                    (v1, v2), (h1, h2) = ((a, b), (c, d)) if a[0] == b[0] else ((c, d), (a, b))
                    if min(h1[0], h2[0]) < v1[0] < max(h1[0], h2[0]) and min(v1[1], v2[1]) < h1[1] < max(v1[1], v2[1]):
                        return True
        return False

    problems = []
    for flow, (source, target) in ends.items():
        points = lines[flow]
        segments = list(zip(points, points[1:]))
        shared = lines["Flow_suspension_refused"]
        if flow == "Flow_termination_refused" and points[-1] == shared[-1] and points[-2][0] == shared[-2][0]:
            segments = segments[:-1]            # the trunk up to 调查, shared with the other refusals
        if source in TERMINATION or target in TERMINATION:
            if not (on_border(points[0], shapes[source], "Gateway" in kinds[source])
                    and on_border(points[-1], shapes[target], "Gateway" in kinds[target])):
                problems.append((flow, "not on its shapes' borders"))
            problems += [(flow, shape) for shape, box in shapes.items()
                         if shape not in (source, target) and any(through(a, b, box) for a, b in segments)]
        problems += [(flow, shape) for shape in TERMINATION
                     if shape not in (source, target) and any(through(a, b, shapes[shape]) for a, b in segments)]
    for flow in ("Flow_suspension_expired", "Flow_suspended_termination_reviewed"):
        others = [f for f in lines if f != flow and kinds.get(f) == "sequenceFlow"]
        problems += [(flow, other) for other in others if crosses(lines[flow], lines[other])
                     and not (flow == "Flow_suspension_expired" and other == "Flow_termination_approved")]
    assert problems == []


BPMN_FILES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "processes").rglob("*.bpmn"))


@pytest.mark.parametrize("path", BPMN_FILES)
def test_every_shipped_diagram_reads_cleanly(path):
    """No shapes overlap, every shape lies in its lane, every flow is orthogonal from border to border and runs
    through no other shape, every label has its bounds and covers no shape, label or line (tests/diagram_layout.py)."""
    assert layout_problems(ROOT / path) == []


@pytest.mark.parametrize("path", BPMN_FILES)
def test_every_flow_node_and_flow_is_drawn_exactly_once(path):
    diagram = Diagram(ROOT / path)
    flows = set(diagram.flows)
    assert {k for k, n in diagram.drawn.items() if n != 1} == set()
    assert sorted((set(diagram.nodes) | flows) - set(diagram.drawn)) == []
    assert sorted(k for k in flows if len(diagram.points.get(k, [])) < 2) == []


def test_laying_out_a_diagram_again_changes_its_diagram_and_nothing_else(tmp_path):
    """The layout tool rewrites only bpmndi:BPMNDiagram: the process part stays byte for byte, and a diagram whose
    shapes were piled up in a corner, one step and one flow not drawn at all (as after a merge), comes out drawn
    whole and reading cleanly."""
    layout = load_layout_tool()
    source = (ROOT / "processes/law_firm/law_firm_spot_check.bpmn").read_text(encoding="utf-8")
    start, end = source.index("<bpmndi:BPMNDiagram"), source.index("</bpmndi:BPMNDiagram>")
    corner = re.sub(r'x="\d+(\.\d+)?" y="\d+(\.\d+)?"', 'x="200" y="100"', source[start:end])
    corner = re.sub(r'\s*<bpmndi:BPMNShape id="Script_done_di".*?</bpmndi:BPMNShape>', "", corner)
    corner = re.sub(r'\s*<bpmndi:BPMNEdge id="Flow_Script_done_End_spot_check_di".*?</bpmndi:BPMNEdge>', "", corner)
    piled = source[:start] + corner + source[end:]
    path = tmp_path / "law_firm_spot_check.bpmn"
    path.write_text(piled, encoding="utf-8")
    assert "Script_done is not drawn" in layout_problems(path)
    laid = layout.layout_file(path)
    path.write_text(laid, encoding="utf-8")
    assert laid[:start] == source[:start]
    assert laid[laid.index("</bpmndi:BPMNDiagram>"):] == source[end:]
    assert layout_problems(path) == []


def load_layout_tool():
    """scripts/layout_diagrams.py, imported from its file (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("layout_diagrams", ROOT / "scripts/layout_diagrams.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
