"""What a readable diagram is, checked on a .bpmn file's diagram interchange (bpmndi): `layout_problems(path)`.

- every flow node, flow, lane, participant and data object is drawn exactly once (a data association may be);
- no two flow-node shapes overlap (a boundary event sits on its task's border; a sub-process holds its own nodes);
- every shape lies inside its lane (a node in no lane inside its participant), a sub-process's nodes inside it,
  the lanes inside their participant, one under another;
- every sequence flow is orthogonal (each segment horizontal or vertical) and starts and ends on its source's and
  target's outline (a rectangle's border, an event's circle, a gateway's diamond);
- no flow or data association runs through a shape other than its source and target (or the sub-process it is in);
- every event, gateway, data object and named flow has its label's bounds written in the file, as big as bpmn-js
  will draw the text (`label_size`), covering no shape, no other label and no flow line;
- the diagram is no taller than MAX_HEIGHT (so the modeler, which opens at 60 % or more on the diagram's top left
  when the whole of it would be smaller, shows all lanes of a column in a 1360×900 window after a short scroll) and
  its start event lies within the first START_WITHIN pixels right of its participant's left (shown on opening).
"""
from __future__ import annotations

import math
from itertools import combinations
from pathlib import Path

from lxml import etree

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC", "di": "http://www.omg.org/spec/DD/20100524/DI"}
MAX_HEIGHT = 3500
START_WITHIN = 400
FRAMES = ("participant", "lane")
CONTAINERS = ("subProcess", "transaction")
NOT_NODES = {"definitions", "process", "laneSet", "lane", "message", "collaboration", "participant", "sequenceFlow",
             "dataObject", "dataOutputAssociation", "dataInputAssociation", "documentation", "extensionElements",
             "conditionExpression", "incoming", "outgoing", "script", "flowNodeRef", "property", "timeDate",
             "timeDuration", "timeCycle", "inputDataItem", "outputDataItem", "messageEventDefinition",
             "timerEventDefinition", "multiInstanceLoopCharacteristics", "loopCardinality", "completionCondition",
             "errorEventDefinition", "signalEventDefinition", "escalationEventDefinition", "terminateEventDefinition",
             "conditionalEventDefinition", "sourceRef", "targetRef", "ioSpecification", "dataInput", "dataOutput",
             "inputSet", "outputSet", "dataInputRefs", "dataOutputRefs", "error", "signal", "escalation",
             "condition", "timeCycle"}


def local(element) -> str:
    """An element's tag without its namespace."""
    return etree.QName(element).localname


def label_size(text: str) -> tuple[int, int]:
    """The size bpmn-js gives an external label's text: 11 px type wrapped at 90 px, 13.5 px lines (measured)."""
    lines, width, widest = 1, 0.0, 0.0
    for word in text.replace("\n", " ").split(" "):
        size = sum(11 if ord(c) > 0x2e80 else 6.2 for c in word)
        gap = 3 if width else 0
        if width + gap + size <= 90:
            width += gap + size
        elif size <= 90:
            widest, width, lines = max(widest, width), size, lines + 1
        else:                              # a long word breaks anywhere
            for c in word:
                step = 11 if ord(c) > 0x2e80 else 6.2
                if width + step > 90:
                    widest, width, lines = max(widest, width), 0.0, lines + 1
                width += step
        widest = max(widest, width)
    return math.ceil(widest) + 2, math.ceil(lines * 13.5) + 1


class Diagram:
    """A file's semantic elements and their drawn bounds, waypoints and labels."""

    def __init__(self, path: Path):
        self.tree = etree.parse(str(path))
        self.kind = {e.get("id"): local(e) for e in self.tree.iter() if isinstance(e.tag, str) and e.get("id")}
        self.element = {e.get("id"): e for e in self.tree.iter() if isinstance(e.tag, str) and e.get("id")}
        self.drawn: dict[str, int] = {}
        self.box, self.points, self.label = {}, {}, {}
        for di in self.tree.iter(f"{{{NS['bpmndi']}}}BPMNShape", f"{{{NS['bpmndi']}}}BPMNEdge"):
            key = di.get("bpmnElement")
            self.drawn[key] = self.drawn.get(key, 0) + 1
            b = di.find("dc:Bounds", NS)
            if b is not None:
                self.box[key] = tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))
            if local(di) == "BPMNEdge":
                self.points[key] = [(float(w.get("x")), float(w.get("y"))) for w in di.iterfind("di:waypoint", NS)]
            lb = di.find("bpmndi:BPMNLabel/dc:Bounds", NS)
            if lb is not None:
                self.label[key] = tuple(float(lb.get(k)) for k in ("x", "y", "width", "height"))
        self.flows = {f.get("id"): (f.get("sourceRef"), f.get("targetRef"))
                      for f in self.tree.iter(f"{{{NS['bpmn']}}}sequenceFlow")}
        self.associations = {a.get("id"): a for a in self.tree.iter(f"{{{NS['bpmn']}}}dataOutputAssociation",
                                                                     f"{{{NS['bpmn']}}}dataInputAssociation")}
        self.host = {b.get("id"): b.get("attachedToRef") for b in self.tree.iter(f"{{{NS['bpmn']}}}boundaryEvent")}
        self.nodes = [k for k, kind in self.kind.items() if kind not in NOT_NODES and k in self.box
                      and self.element[k].getparent() is not None
                      and local(self.element[k].getparent()) in ("process",) + CONTAINERS]

    def parents(self, key: str) -> set[str]:
        """The sub-processes an element lies in."""
        out, node = set(), self.element[key].getparent()
        while node is not None and local(node) in CONTAINERS:
            out.add(node.get("id"))
            node = node.getparent()
        return out

    def shapes(self) -> dict[str, tuple]:
        """The flow nodes' and data objects' boxes (not lanes, participants or sub-processes)."""
        return {k: self.box[k] for k in self.nodes if self.kind[k] not in CONTAINERS}


def layout_problems(path: Path) -> list[str]:
    """Everything that makes a diagram hard to read, one line each (empty: it reads cleanly)."""
    d = Diagram(path)
    return (coverage(d) + overlaps(d) + containment(d) + flow_lines(d) + labels(d) + extent(d))


def coverage(d: Diagram) -> list[str]:
    wanted = set(d.nodes) | set(d.flows) | {k for k, v in d.kind.items() if v in FRAMES}
    wanted |= {k for k, v in d.kind.items() if v not in NOT_NODES and local(d.element[k].getparent())
               in ("process",) + CONTAINERS}
    out = [f"{k} is not drawn" for k in sorted(wanted) if k not in d.drawn]
    return out + [f"{k} is drawn {n} times" for k, n in sorted(d.drawn.items()) if n > 1]


def inside(outer, inner, slack=0.5) -> bool:
    """One box lies within another."""
    return (outer[0] - slack <= inner[0] and outer[1] - slack <= inner[1]
            and inner[0] + inner[2] <= outer[0] + outer[2] + slack
            and inner[1] + inner[3] <= outer[1] + outer[3] + slack)


def overlap(a, b, pad: float = 0) -> bool:
    """Two boxes share some inside (pad: or come closer than that)."""
    return (a[0] < b[0] + b[2] + pad and b[0] < a[0] + a[2] + pad
            and a[1] < b[1] + b[3] + pad and b[1] < a[1] + a[3] + pad)


def overlaps(d: Diagram) -> list[str]:
    out = []
    boxes = {k: d.box[k] for k in d.nodes}
    for a, b in combinations(sorted(boxes), 2):
        if d.host.get(a) == b or d.host.get(b) == a or a in d.parents(b) or b in d.parents(a):
            continue
        if overlap(boxes[a], boxes[b]):
            out.append(f"{a} overlaps {b}")
    return out


def containment(d: Diagram) -> list[str]:
    out = []
    lanes = {ref.text: lane.get("id") for lane in d.tree.iter(f"{{{NS['bpmn']}}}lane")
             for ref in lane.iterfind("bpmn:flowNodeRef", NS)}
    participants = [k for k, v in d.kind.items() if v == "participant"]
    for k in d.nodes:
        parents = d.parents(k)
        if parents:
            inner = min(parents, key=lambda p: d.box[p][2] * d.box[p][3])
            if not inside(d.box[inner], d.box[k]):
                out.append(f"{k} lies outside its sub-process {inner}")
            continue
        frame = lanes.get(k) or (participants[0] if participants else None)
        if frame and not inside(d.box[frame], d.box[k]):
            out.append(f"{k} lies outside {frame}")
    lane_ids = [k for k, v in d.kind.items() if v == "lane"]
    for lane in lane_ids:
        if participants and not inside(d.box[participants[0]], d.box[lane]):
            out.append(f"{lane} lies outside its participant")
    out += [f"{a} overlaps {b}" for a, b in combinations(lane_ids, 2) if overlap(d.box[a], d.box[b])]
    return out


def on_outline(point, box, kind: str, slack: float = 1.5) -> bool:
    """A point on a shape's outline: a gateway's diamond, an event's circle, else its rectangle."""
    x, y, w, h = box
    cx, cy = x + w / 2, y + h / 2
    if kind.endswith("Gateway"):
        return abs(abs(point[0] - cx) / (w / 2) + abs(point[1] - cy) / (h / 2) - 1) * w / 2 <= slack
    if kind.endswith("Event"):
        return abs(math.hypot(point[0] - cx, point[1] - cy) - w / 2) <= slack
    near = x - slack <= point[0] <= x + w + slack and y - slack <= point[1] <= y + h + slack
    return near and (min(abs(point[0] - x), abs(point[0] - x - w)) <= slack
                     or min(abs(point[1] - y), abs(point[1] - y - h)) <= slack)


def through(a, b, box, shrink: float = 1) -> bool:
    """A segment runs through a box's inside (shrunk a little: touching the border is not through)."""
    x0, y0, x1, y1 = box[0] + shrink, box[1] + shrink, box[0] + box[2] - shrink, box[1] + box[3] - shrink
    if x0 >= x1 or y0 >= y1:
        return False
    if abs(a[0] - b[0]) < 0.5:
        return x0 < a[0] < x1 and min(a[1], b[1]) < y1 and max(a[1], b[1]) > y0
    if abs(a[1] - b[1]) < 0.5:
        return y0 < a[1] < y1 and min(a[0], b[0]) < x1 and max(a[0], b[0]) > x0
    steps = 50                               # a diagonal: sample it
    return any(x0 < a[0] + (b[0] - a[0]) * t / steps < x1 and y0 < a[1] + (b[1] - a[1]) * t / steps < y1
               for t in range(steps + 1))


def edge_ends(d: Diagram, key: str) -> tuple[str, str]:
    if key in d.flows:
        return d.flows[key]
    a = d.associations[key]
    task = a.getparent().get("id")
    if local(a) == "dataOutputAssociation":
        return task, a.findtext("bpmn:targetRef", namespaces=NS)
    return a.findtext("bpmn:sourceRef", namespaces=NS), task


def flow_lines(d: Diagram) -> list[str]:
    out = []
    shapes = d.shapes()
    for key in sorted(set(d.flows) | {a for a in d.associations if a in d.points}):
        points = d.points.get(key, [])
        source, target = edge_ends(d, key)
        if len(points) < 2:
            out.append(f"{key} has {len(points)} waypoints")
            continue
        if source not in d.box or target not in d.box:
            continue                        # coverage names the end that is not drawn
        segments = list(zip(points, points[1:]))
        if key in d.flows:
            if any(abs(a[0] - b[0]) >= 0.5 and abs(a[1] - b[1]) >= 0.5 for a, b in segments):
                out.append(f"{key} has a diagonal segment")
            if not on_outline(points[0], d.box[source], d.kind[source]):
                out.append(f"{key} does not start on {source}'s outline")
            if not on_outline(points[-1], d.box[target], d.kind[target]):
                out.append(f"{key} does not end on {target}'s outline")
        for shape, box in shapes.items():
            if shape not in (source, target) and any(through(a, b, box) for a, b in segments):
                out.append(f"{key} runs through {shape}")
        ends = d.parents(source) | d.parents(target) | {source, target}
        for frame in (k for k in d.nodes if d.kind[k] in CONTAINERS and k not in ends):
            box = d.box[frame]
            if any(through(a, b, box, 0) for a, b in segments):
                out.append(f"{key} runs through the sub-process {frame}")
    return out


def labels(d: Diagram) -> list[str]:
    out = []
    named = [k for k in d.nodes if (d.kind[k].endswith("Event") or d.kind[k].endswith("Gateway")
                                    or d.kind[k] == "dataObjectReference") and (d.element[k].get("name") or "").strip()]
    named += [k for k in d.flows if (d.element[k].get("name") or "").strip()]
    shapes = d.shapes()
    lines = [(k, a, b) for k, p in d.points.items() for a, b in zip(p, p[1:])]
    for key in named:
        if key not in d.label:
            out.append(f"{key}'s label has no bounds")
            continue
        box = d.label[key]
        w, h = label_size(d.element[key].get("name").strip())
        if box[2] < w - 2 or box[3] < h - 2:
            out.append(f"{key}'s label bounds are smaller than its text ({w}×{h})")
        out += [f"{key}'s label covers {s}" for s, b in shapes.items() if overlap(box, b)]
        out += [f"{key}'s label is crossed by {k}" for k, a, b in lines if through(a, b, box, 0)]
    for a, b in combinations(sorted(k for k in named if k in d.label), 2):
        if overlap(d.label[a], d.label[b]):
            out.append(f"{a}'s label overlaps {b}'s")
    return out


def extent(d: Diagram) -> list[str]:
    out = []
    participants = [k for k, v in d.kind.items() if v == "participant" and k in d.box]
    for p in participants:
        if d.box[p][3] > MAX_HEIGHT:
            out.append(f"{p} is {d.box[p][3]:.0f} px tall (at most {MAX_HEIGHT})")
        starts = [k for k in d.nodes if d.kind[k] == "startEvent" and not d.parents(k)]
        if starts and min(d.box[s][0] for s in starts) > d.box[p][0] + START_WITHIN:
            out.append(f"no start event within {START_WITHIN} px of {p}'s left")
    return out
