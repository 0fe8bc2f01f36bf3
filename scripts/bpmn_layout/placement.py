"""Where each shape goes: columns along the flows, rows in the lanes, sizes, data objects beside their tasks.

Kept apart from the routing and the labels because those only read the boxes this part settles.
"""
from __future__ import annotations

from collections import defaultdict

from tests.diagram_layout import NS, label_size, local   # the checker's own measures

TASK = (100, 80)
EVENT = (36, 36)
GATEWAY = (50, 50)
DATA = (36, 50)
GAP_X = 100           # between two columns' widest shapes
ROW = 150             # a row's height in a lane
HEADER = 60           # participant and lane headers on the left


def size_of(kind: str, spacing: list[int]) -> tuple[int, int]:
    """A shape's width and height: a task as wide as its boundary events need."""
    if kind.endswith("Event"):
        return EVENT
    if kind.endswith("Gateway"):
        return GATEWAY
    if kind == "dataObjectReference":
        return DATA
    return (max(TASK[0], 20 + sum(spacing[:-1]) + 36 + 20), TASK[1])


def spacing_of(model: "Model", events: list[str]) -> list[int]:
    """How far apart a task's boundary events sit: each one's label fits below it, right of its flow."""
    return [max(44, label_size(model.names.get(e) or "")[0] + 26) if model.names.get(e) else 44 for e in events]


class Model:
    """The semantic part of one file, as the layout needs it."""

    def __init__(self, tree):
        self.tree = tree
        self.kind = {e.get("id"): local(e) for e in tree.iter() if isinstance(e.tag, str) and e.get("id")}
        self.element = {e.get("id"): e for e in tree.iter() if isinstance(e.tag, str) and e.get("id")}
        self.flows = {f.get("id"): (f.get("sourceRef"), f.get("targetRef"))
                      for f in tree.iter(f"{{{NS['bpmn']}}}sequenceFlow")}
        self.associations = {}
        for a in tree.iter(f"{{{NS['bpmn']}}}dataOutputAssociation", f"{{{NS['bpmn']}}}dataInputAssociation"):
            task = a.getparent().get("id")
            data = (a.findtext("bpmn:targetRef", namespaces=NS) if local(a) == "dataOutputAssociation"
                    else a.findtext("bpmn:sourceRef", namespaces=NS))
            self.associations[a.get("id")] = (task, data) if local(a) == "dataOutputAssociation" else (data, task)
        self.attached = defaultdict(list)
        for b in tree.iter(f"{{{NS['bpmn']}}}boundaryEvent"):
            self.attached[b.get("attachedToRef")].append(b.get("id"))
        self.host = {b: h for h, bs in self.attached.items() for b in bs}
        self.lane_of = {r.text: lane.get("id") for lane in tree.iter(f"{{{NS['bpmn']}}}lane")
                        for r in lane.iterfind("bpmn:flowNodeRef", NS)}
        self.lanes = [lane.get("id") for lane in tree.iter(f"{{{NS['bpmn']}}}lane")]
        self.drawn_edges = {e.get("bpmnElement") for e in tree.iter(f"{{{NS['bpmndi']}}}BPMNEdge")}
        self.names = {i: (e.get("name") or "").strip() for i, e in self.element.items()}

    def children(self, container) -> list[str]:
        """The nodes laid out directly in a process or sub-process (boundary events go with their task)."""
        skip = {"sequenceFlow", "laneSet", "boundaryEvent", "extensionElements", "documentation", "dataObject",
                "association", "textAnnotation", "incoming", "outgoing", "multiInstanceLoopCharacteristics",
                "property", "ioSpecification", "dataInputAssociation", "dataOutputAssociation"}
        return [c.get("id") for c in container if isinstance(c.tag, str) and local(c) not in skip and c.get("id")]


def layout_container(model: Model, container, lanes: list[str]) -> tuple[dict, dict]:
    """Boxes (relative to the container's origin) of its nodes, and each lane's height; sub-processes recursively."""
    nodes = model.children(container)
    inner: dict[str, dict] = {}
    sizes = {}
    for n in nodes:
        if model.kind[n] in ("subProcess", "transaction"):
            boxes, _ = layout_container(model, model.element[n], [])
            right = max((x + w for x, y, w, h in boxes.values()), default=200)
            bottom = max((y + h for x, y, w, h in boxes.values()), default=100)
            inner[n] = boxes
            sizes[n] = (int(right + 40), int(bottom + 30))
        else:
            sizes[n] = size_of(model.kind[n], spacing_of(model, model.attached.get(n, [])))
    event_subs = [n for n in nodes if model.element[n].get("triggeredByEvent") == "true"]
    owner = {}                  # a data object of a task is put beside the task once the nodes have their places
    for source, target in model.associations.values():
        task, data = (source, target) if model.kind[target] == "dataObjectReference" else (target, source)
        if task in nodes and data in nodes:
            owner.setdefault(data, task)
    placed = [n for n in nodes if n not in event_subs and n not in owner]
    edges = defaultdict(list)
    for source, target in model.flows.values():
        source = model.host.get(source, source)
        if source in placed and target in placed and source != target:
            edges[source].append(target)
    for source, target in model.associations.values():
        task, data = (source, target) if model.kind[target] == "dataObjectReference" else (target, source)
        if task in placed and data in placed:
            edges[task].append(data)
    column = columns(placed, edges, model)
    lane_index = {lane: i for i, lane in enumerate(lanes)}
    lane = {n: lane_index.get(model.lane_of.get(n), len(lanes) - 1 if lanes else 0) for n in nodes}
    for n in placed:            # a data object goes with its task's lane
        if model.kind[n] == "dataObjectReference":
            owner = [s for s, ts in edges.items() if n in ts]
            if owner:
                lane[n] = lane[owner[0]]
    rows = stack(placed, edges, column, lane)
    widths = defaultdict(int)
    for n in placed:
        widths[column[n]] = max(widths[column[n]], sizes[n][0])
    by_column = defaultdict(set)
    for n in placed:
        by_column[column[n]] |= {n, *model.attached.get(n, [])}
    left, xs = HEADER + 40 if lanes else 30, {}
    for c in range(max(column.values(), default=-1) + 1):
        xs[c] = left
        named = any(model.names.get(f) for f, (s, t) in model.flows.items() if s in by_column[c])
        left += max(widths[c], 36) + (GAP_X if named else GAP_X - 40)
    lane_count = max(len(lanes), 1)
    row_heights = defaultdict(lambda: ROW)
    for n in placed:
        row_heights[(lane[n], rows[n])] = max(row_heights[(lane[n], rows[n])], sizes[n][1] + 100)
    lane_rows = [max([rows[n] + 1 for n in placed if lane[n] == i], default=1) for i in range(lane_count)]
    extra = defaultdict(list)
    for n in event_subs:
        extra[lane[n]].append(n)
    heights, boxes, top, bands = {}, {}, 0 if lanes else 30, {}
    for i in range(lane_count):
        row_top, offsets = top, {}
        for r in range(lane_rows[i]):
            offsets[r] = row_top
            row_top += row_heights[(i, r)]
        for n in placed:
            if lane[n] == i:
                w, h = sizes[n]
                middle = offsets[rows[n]] + 60 + TASK[1] / 2 if lanes else offsets[rows[n]] + 40
                if h > TASK[1]:
                    middle = offsets[rows[n]] + 30 + h / 2
                cx = xs[column[n]] + widths[column[n]] / 2
                boxes[n] = (round(cx - w / 2), round(middle - h / 2), w, h)
        for n in extra[i]:                  # event sub-processes: in the lane's free room, else below its rows
            w, h = sizes[n]
            mine = [b for m, b in boxes.items() if lane.get(m) == i]
            spot = free_spot(mine, w, h, HEADER + 40 if lanes else 30, left, top, row_top)
            boxes[n] = (spot[0], spot[1], w, h)
            row_top = max(row_top, spot[1] + h + 20)
        heights[i] = row_top - top
        bands[i] = (top, row_top) if lanes else (0, 1e9)
        top = row_top
    for n, sub in inner.items():
        ox, oy = boxes[n][0], boxes[n][1]
        for child, (x, y, w, h) in sub.items():
            boxes[child] = (x + ox, y + oy, w, h)
    for host, events in model.attached.items():
        if host in boxes and host in nodes:
            x, y, w, h = boxes[host]
            left = x + 20
            for event, step in zip(events, spacing_of(model, events)):
                boxes[event] = (left, y + h - 18, 36, 36)
                left += step
    for data, task in owner.items():
        boxes[data] = beside(boxes[task], list(boxes.values()), bands[lane[task]])
    return boxes, heights


def beside(task, boxes, band):
    """A data object's place near its task, it and its label 20 px clear of every shape, inside the lane's band."""
    x, y, w, h = task
    spots = [(dx, dy) for dx in range(-240, 300, 30) for dy in range(-210, 240, 30)]
    spots.sort(key=lambda d: abs(d[0] - w / 2 + 18) + abs(d[1]) * 1.5)
    for dx, dy in spots:
        box = (x + dx, y + dy, DATA[0], DATA[1])
        room = (box[0] - 27 - 20, box[1] - 20, 90 + 40, DATA[1] + 32 + 40)      # with its label below
        if band[0] + 10 <= room[1] + 20 and room[1] + room[3] - 20 <= band[1] - 10 and box[1] >= 0 \
                and not any(overlap(room, b) for b in boxes):
            return box
    raise SystemExit(f"no place for a data object near {task}")


def free_spot(boxes, w, h, left, right, top, bottom):
    """The place in a band, leftmost of the highest, where a box stays 40 px clear of the boxes there: at the band's
    bottom if it fits there, else as little below it as may be (the band then grows)."""
    best = None
    for x in range(int(left), int(max(right - w, left + 1)), 20):
        below = [b[1] + b[3] for b in boxes if b[0] < x + w + 40 and x - 40 < b[0] + b[2]]
        y = max(max(below, default=top) + 40, bottom - h - 20, top + 20)
        if best is None or y < best[1]:
            best = (x, y)
    return best


def columns(nodes: list[str], edges: dict, model: Model) -> dict[str, int]:
    """Each node's column: one right of its furthest predecessor once the loops' back edges are left out."""
    starts = [n for n in nodes if model.kind[n] == "startEvent"] + nodes
    state, back, order = {}, set(), []
    for s in starts:
        if s in state:
            continue
        stack_ = [(s, iter(edges.get(s, [])))]
        state[s] = 1
        while stack_:
            node, it = stack_[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                order.append(node)
                stack_.pop()
            elif state.get(nxt) == 1:
                back.add((node, nxt))
            elif nxt not in state:
                state[nxt] = 1
                stack_.append((nxt, iter(edges.get(nxt, []))))
    column = {n: 0 for n in nodes}
    for node in reversed(order):            # a topological order of the graph without its back edges
        for nxt in edges.get(node, []):
            if (node, nxt) not in back:
                column[nxt] = max(column[nxt], column[node] + 1)
    return column


def stack(nodes: list[str], edges: dict, column: dict, lane: dict) -> dict[str, int]:
    """Each node's row in its lane: the nodes of one lane and column ordered by their predecessors' rows."""
    preds = defaultdict(list)
    for s, ts in edges.items():
        for t in ts:
            preds[t].append(s)
    reach = {n: 0 for n in nodes}            # how far a node's flows go on: the longest stays in line
    for n in sorted(nodes, key=lambda n: -column[n]):
        for t in edges.get(n, []):
            if column[t] > column[n]:
                reach[n] = max(reach[n], reach[t] + 1)
    rows: dict[str, int] = {}
    cells = defaultdict(list)
    for n in nodes:
        cells[(lane[n], column[n])].append(n)
    for _ in range(2):
        for key in sorted(cells, key=lambda k: k[1]):
            members = cells[key]

            def weight(n):
                known = [rows[p] for p in preds[n] if p in rows and lane[p] == lane[n]]
                return (sum(known) / len(known) if known else 0, -reach[n], nodes.index(n))
            members.sort(key=weight)
            wanted = [round(weight(n)[0]) for n in members]
            used = 0
            for n, want in zip(members, wanted):
                rows[n] = max(used, want if len(members) == 1 else used)
                used = rows[n] + 1
    for lane_ in set(lane.values()):          # no empty rows
        used_rows = sorted({rows[n] for n in nodes if lane[n] == lane_})
        for n in nodes:
            if lane[n] == lane_:
                rows[n] = used_rows.index(rows[n])
    return rows


def containers_of(model: Model, element: str) -> set[str]:
    """The sub-processes around an element."""
    out, node = set(), model.element[element].getparent()
    while node is not None and local(node) in ("subProcess", "transaction"):
        out.add(node.get("id"))
        node = node.getparent()
    return out


def overlap(a, b, pad=0) -> bool:
    return (a[0] < b[0] + b[2] + pad and b[0] < a[0] + a[2] + pad
            and a[1] < b[1] + b[3] + pad and b[1] < a[1] + a[3] + pad)
