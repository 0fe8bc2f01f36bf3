"""Lay out a BPMN file's diagram (its bpmndi:BPMNDiagram only) left to right in its lanes, with orthogonal flows.

    .venv/bin/python scripts/layout_diagrams.py processes/complaint/lawyer_complaint.bpmn [...]   (default: all)

Only the text of <bpmndi:BPMNDiagram> … </bpmndi:BPMNDiagram> is rewritten; everything before and after it stays
byte for byte (the script checks that before it writes). The steps:
1. columns: the flows without their loops (back edges of a depth-first walk from the start events), each node one
   column right of its furthest predecessor; a boundary event's flows count from its task;
2. rows: in each lane, the nodes of one column stacked, ordered by their predecessors' rows (the node whose flows
   go furthest stays in line), empty rows dropped; a lane is as tall as its most stacked column; an expanded
   sub-process is laid out inside the same way and placed as one wide node, an event sub-process in its lane's (or
   the last lane's) free room at the bottom; a task is as wide as its boundary events need, each one's label below
   it right of its flow; a data object goes beside its task where it and its label are clear of every shape;
3. flows: each routed on an orthogonal grid (the lines along the shapes' sides, kept a margin away, and tracks
   between them) by A*, from one side's middle of the source to one of the target, paying for length, bends,
   crossing or running along a flow routed before (short flows first), around the boundary events' labels;
4. labels: each gateway's, event's, data object's and named flow's label put where it covers no shape and no other
   label and the fewest lines (below or above a shape, beside it; beside a flow's segments).
tests/diagram_layout.py checks the result; tests/test_shipped_diagrams.py runs it over every shipped diagram.
The steps live in scripts/bpmn_layout/: placement.py (1, 2), routing.py (3), labels.py (4); this file reads and
writes the file.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))      # its parts, also when a test imports this file by its path
from bpmn_layout.labels import place_labels   # noqa: E402
from bpmn_layout.placement import Model, layout_container   # noqa: E402
from bpmn_layout.routing import route_edges   # noqa: E402
from tests.diagram_layout import NS, label_size, local   # noqa: E402  (the checker's own measures)


def layout_file(path: Path) -> str:
    """The file's text with its diagram laid out again (everything outside bpmndi:BPMNDiagram unchanged)."""
    text = path.read_text(encoding="utf-8")
    tree = etree.fromstring(text.encode("utf-8"))
    model = Model(tree)
    participant = next(iter(tree.iter(f"{{{NS['bpmn']}}}participant")), None)
    process = next(iter(tree.iter(f"{{{NS['bpmn']}}}process")))
    lanes = model.lanes
    boxes, heights = layout_container(model, process, lanes)
    ox, oy = 160, 60
    boxes = {k: (x + ox, y + oy, w, h) for k, (x, y, w, h) in boxes.items()}
    right = max(x + w for x, y, w, h in boxes.values()) + 60
    if participant is not None:
        boxes[participant.get("id")] = (ox, oy, right - ox, sum(heights.values()))
    top = oy
    for i, lane in enumerate(lanes):
        boxes[lane] = (ox + 30, top, right - ox - 30, heights[i])
        top += heights[i]
    reserved = {}               # a boundary event's label: below it, right of its flow, kept free of lines
    for event in model.host:
        if event in boxes and model.names.get(event):
            x, y, w, h = boxes[event]
            reserved[event] = (x + 30, y + h + 1, *label_size(model.names[event]))
    routes = route_edges(model, boxes, reserved)
    labels = place_labels(model, boxes, routes, reserved)
    return splice(text, tree, boxes, routes, labels)


def number(v) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}"


def bounds(box) -> str:
    x, y, w, h = box
    return f'<dc:Bounds x="{number(x)}" y="{number(y)}" width="{number(w)}" height="{number(h)}" />'


def splice(text: str, tree, boxes: dict, routes: dict, labels: dict) -> str:
    """The file's text with its BPMNDiagram written from the new boxes, routes and labels."""
    diagram = tree.find("bpmndi:BPMNDiagram", NS)
    plane = diagram.find("bpmndi:BPMNPlane", NS)
    start = re.search(r"<bpmndi:BPMNDiagram\b[^>]*>\s*<bpmndi:BPMNPlane\b[^>]*>", text)
    end = text.index("</bpmndi:BPMNDiagram>") + len("</bpmndi:BPMNDiagram>")
    lines = [start.group(0)]
    prefixes = {uri: prefix for prefix, uri in tree.nsmap.items() if prefix}
    drawn = set()
    for di in plane:
        if not isinstance(di.tag, str):
            continue
        element = di.get("bpmnElement")
        drawn.add(element)
        attrs = " ".join(f'{prefixes.get(etree.QName(k).namespace, "") + ":" if etree.QName(k).namespace else ""}'
                         f'{etree.QName(k).localname}="{v}"' for k, v in di.attrib.items())
        label = f"<bpmndi:BPMNLabel>{bounds(labels[element])}</bpmndi:BPMNLabel>" if element in labels else ""
        if local(di) == "BPMNShape":
            lines.append(f"    <bpmndi:BPMNShape {attrs}>{bounds(boxes[element])}{label}</bpmndi:BPMNShape>")
        else:
            points = "".join(f'<di:waypoint x="{number(x)}" y="{number(y)}" />' for x, y in routes[element])
            lines.append(f"    <bpmndi:BPMNEdge {attrs}>{points}{label}</bpmndi:BPMNEdge>")
    kinds = {e.get("id"): local(e) for e in tree.iter() if isinstance(e.tag, str) and e.get("id")}
    for element in [k for k in boxes if k not in drawn] + [k for k in routes if k not in drawn]:
        label = f"<bpmndi:BPMNLabel>{bounds(labels[element])}</bpmndi:BPMNLabel>" if element in labels else ""
        if element in boxes:            # an element the file did not draw yet (e.g. added in a merge)
            extra = {"lane": ' isHorizontal="true"', "participant": ' isHorizontal="true"',
                     "exclusiveGateway": ' isMarkerVisible="true"', "subProcess": ' isExpanded="true"'}
            lines.append(f'    <bpmndi:BPMNShape id="{element}_di" bpmnElement="{element}"'
                         f'{extra.get(kinds[element], "")}>{bounds(boxes[element])}{label}</bpmndi:BPMNShape>')
        else:
            points = "".join(f'<di:waypoint x="{number(x)}" y="{number(y)}" />' for x, y in routes[element])
            lines.append(f'    <bpmndi:BPMNEdge id="{element}_di" bpmnElement="{element}">{points}{label}'
                         f"</bpmndi:BPMNEdge>")
    lines.append("  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>")
    new = text[:start.start()] + "\n".join(lines) + text[end:]
    before, after = text[:start.start()], text[end:]
    assert new.startswith(before) and new.endswith(after)     # the process part stays byte for byte
    return new


def main(argv: list[str]) -> None:
    """Lay out the files named (default: every shipped diagram) in place."""
    files = [Path(a) for a in argv] or sorted((ROOT / "processes").rglob("*.bpmn"))
    for path in files:
        path.write_text(layout_file(path), encoding="utf-8")
        print("laid out", path)


if __name__ == "__main__":
    main(sys.argv[1:])
