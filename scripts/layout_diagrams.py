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
"""
from __future__ import annotations

import heapq
import re
import sys
from collections import defaultdict
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.diagram_layout import NS, label_size, local   # noqa: E402  (the checker's own measures)

TASK = (100, 80)
EVENT = (36, 36)
GATEWAY = (50, 50)
DATA = (36, 50)
GAP_X = 100           # between two columns' widest shapes
ROW = 150             # a row's height in a lane
HEADER = 60           # participant and lane headers on the left
MARGIN = 10           # flows keep this far from shapes
BEND, CROSS, ALONG = 40, 120, 12      # a route's costs beside its length (ALONG per unit of shared length)


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


class Grid:
    """The lines a route may run on and what blocks it: shapes kept MARGIN away, and the routes laid before."""

    def __init__(self, obstacles: dict[str, tuple], ports: list[tuple[float, float]], borders: list[float] = ()):
        self.obstacles = {k: (x - MARGIN, y - MARGIN, x + w + MARGIN, y + h + MARGIN)
                          for k, (x, y, w, h) in obstacles.items()}
        xs, ys = set(), set()
        for x0, y0, x1, y1 in self.obstacles.values():
            xs |= {x0, x1}
            ys |= {y0, y1}
        for px, py in ports:
            xs.add(px)
            ys.add(py)
        self.xs, self.ys = self.channels(sorted(xs)), self.channels(sorted(ys))
        self.ix = {v: i for i, v in enumerate(self.xs)}
        self.iy = {v: i for i, v in enumerate(self.ys)}
        self.point_cover, self.hcover, self.vcover = defaultdict(set), defaultdict(set), defaultdict(set)
        from bisect import bisect_left, bisect_right
        for key, (x0, y0, x1, y1) in self.obstacles.items():
            i0, i1 = bisect_left(self.xs, x0), bisect_right(self.xs, x1)
            j0, j1 = bisect_left(self.ys, y0), bisect_right(self.ys, y1)
            for i in range(i0, i1):
                for j in range(j0, j1):
                    x, y = self.xs[i], self.ys[j]
                    if x0 < x < x1 and y0 < y < y1:
                        self.point_cover[(i, j)].add(key)
                    if y0 < y < y1 and i + 1 < i1:
                        self.hcover[(i, j)].add(key)
                    if x0 < x < x1 and j + 1 < j1:
                        self.vcover[(i, j)].add(key)
        self.used_h, self.used_v = defaultdict(set), defaultdict(set)
        # a flow along a lane's border would read as a second border: it pays to run there
        self.on_border = {j for j, y in enumerate(self.ys) if any(abs(y - b) < 36 for b in borders)}
        self.through_h, self.through_v = defaultdict(set), defaultdict(set)

    @staticmethod
    def channels(values: list[float]) -> list[float]:
        """The given lines and tracks in the gaps between them (the middle, and two more in a wide gap)."""
        out = set(values)
        for a, b in zip(values, values[1:]):
            if b - a > 24:
                out.add(round((a + b) / 2))
            if b - a > 70:
                out |= {round((a + b) / 2) - 16, round((a + b) / 2) + 16}
        return sorted(out)

    def route(self, source: str, target: str, sbox, tbox, ignore: set, window: float | None):
        """The cheapest orthogonal route between two shapes' side middles, as waypoints."""
        starts, goals = {}, {}
        for side, (px, py), (dx, dy) in sides(sbox, self.kind_of(source)):
            e = (px + dx * MARGIN, py + dy * MARGIN)
            if self.free(e, ignore):
                cost = {"right": 0, "bottom": 8, "top": 8}.get(side, 30)      # out of the right side if it may
                starts[(self.ix[e[0]], self.iy[e[1]], side)] = ((px, py), cost)
        for side, (px, py), (dx, dy) in sides(tbox, self.kind_of(target)):
            e = (px + dx * MARGIN, py + dy * MARGIN)
            if self.free(e, ignore):
                goals[(self.ix[e[0]], self.iy[e[1]])] = ((px, py), OPPOSITE[side], {"left": 0}.get(side, 8))
        if not starts or not goals:
            return None
        lo_x = min(sbox[0], tbox[0]) - (window or 1e9)
        hi_x = max(sbox[0] + sbox[2], tbox[0] + tbox[2]) + (window or 1e9)
        lo_y = min(sbox[1], tbox[1]) - (window or 1e9)
        hi_y = max(sbox[1] + sbox[3], tbox[1] + tbox[3]) + (window or 1e9)

        def h(i, j):
            return min(abs(self.xs[i] - self.xs[gi]) + abs(self.ys[j] - self.ys[gj]) for gi, gj in goals)
        queue, best, came = [], {}, {}
        for (i, j, side), (port, cost) in starts.items():
            state = (i, j, side)
            best[state] = cost + MARGIN
            came[state] = None
            heapq.heappush(queue, (cost + h(i, j), cost, state))
        while queue:
            f, g, state = heapq.heappop(queue)
            if g > best.get(state, 1e18):
                continue
            i, j, d = state
            if (i, j) in goals:
                port, inward, extra = goals[(i, j)]
                if d != OPPOSITE[inward]:
                    return self.unwind(state, came, starts, port)
            for nd, (di, dj) in STEPS.items():
                if nd == OPPOSITE[d]:
                    continue
                ni, nj = i + di, j + dj
                if not (0 <= ni < len(self.xs) and 0 <= nj < len(self.ys)):
                    continue
                x, y = self.xs[ni], self.ys[nj]
                if not (lo_x <= x <= hi_x and lo_y <= y <= hi_y):
                    continue
                step = (min(i, ni), j) if dj == 0 else (i, min(j, nj))
                cover = self.hcover[step] if dj == 0 else self.vcover[step]
                if cover - ignore or self.point_cover.get((ni, nj), set()) - ignore:
                    continue
                length = abs(x - self.xs[i]) + abs(y - self.ys[j])
                cost = g + length + (BEND if nd != d else 0)
                if dj == 0 and nj in self.on_border:
                    cost += 4 * length
                used = self.used_h[step] if dj == 0 else self.used_v[step]
                cost += ALONG * length * sum(1 for u in used if u[0] != source and u[1] != target)
                across = self.through_v[(ni, nj)] if dj == 0 else self.through_h[(ni, nj)]
                cost += CROSS * sum(1 for u in across if u[0] != source and u[1] != target)
                if (ni, nj) in goals:
                    port, inward, extra = goals[(ni, nj)]
                    cost += extra + (BEND if nd != inward else 0)
                nstate = (ni, nj, nd)
                if cost < best.get(nstate, 1e18):
                    best[nstate] = cost
                    came[nstate] = state
                    heapq.heappush(queue, (cost + h(ni, nj), cost, nstate))
        return None

    def unwind(self, state, came, starts, end_port):
        points = []
        while state is not None:
            points.append((self.xs[state[0]], self.ys[state[1]]))
            first = state
            state = came[state]
        points.reverse()
        start_port = starts[first][0]
        return simplify([start_port] + points + [end_port])

    def free(self, point, ignore) -> bool:
        if point[0] not in self.ix or point[1] not in self.iy:
            return False
        return not (self.point_cover.get((self.ix[point[0]], self.iy[point[1]]), set()) - ignore)

    def mark(self, points, pair):
        """Remember a laid route, so later ones pay to cross it or run along it."""
        for a, b in zip(points, points[1:]):
            if a[0] not in self.ix or b[0] not in self.ix or a[1] not in self.iy or b[1] not in self.iy:
                continue
            i0, i1 = sorted((self.ix[a[0]], self.ix[b[0]]))
            j0, j1 = sorted((self.iy[a[1]], self.iy[b[1]]))
            if j0 == j1:
                for i in range(i0, i1):
                    self.used_h[(i, j0)].add(pair)
                for i in range(i0, i1 + 1):
                    self.through_h[(i, j0)].add(pair)
            else:
                for j in range(j0, j1):
                    self.used_v[(i0, j)].add(pair)
                for j in range(j0, j1 + 1):
                    self.through_v[(i0, j)].add(pair)

    kind_of = staticmethod(lambda element: "")


STEPS = {"right": (1, 0), "left": (-1, 0), "bottom": (0, 1), "top": (0, -1)}
OPPOSITE = {"right": "left", "left": "right", "top": "bottom", "bottom": "top"}


def sides(box, kind):
    """The middles of a shape's four sides, with the way out of each."""
    x, y, w, h = box
    cx, cy = x + w / 2, y + h / 2
    return [("right", (x + w, cy), (1, 0)), ("bottom", (cx, y + h), (0, 1)),
            ("top", (cx, y), (0, -1)), ("left", (x, cy), (-1, 0))]


def simplify(points):
    out = []
    for p in points:
        if out and p == out[-1]:
            continue
        if len(out) >= 2 and (out[-2][0] == out[-1][0] == p[0] or out[-2][1] == out[-1][1] == p[1]):
            out[-1] = p
            continue
        out.append(p)
    return out


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


def containers_of(model: Model, element: str) -> set[str]:
    """The sub-processes around an element."""
    out, node = set(), model.element[element].getparent()
    while node is not None and local(node) in ("subProcess", "transaction"):
        out.add(node.get("id"))
        node = node.getparent()
    return out


def route_edges(model: Model, boxes: dict, reserved: dict) -> dict[str, list]:
    """Every sequence flow and data association, routed shortest first."""
    frames = {"participant", "lane"}
    obstacles = {k: b for k, b in boxes.items() if model.kind[k] not in frames}
    obstacles.update({("label", k): b for k, b in reserved.items()})
    ports = [p for k, b in obstacles.items() for _, p, _ in sides(b, "")]
    borders = [b[1] + d for k, b in boxes.items() if model.kind[k] == "lane" for d in (0, b[3])]
    grid = Grid(obstacles, ports, borders)
    edges = [(k, s, t) for k, (s, t) in list(model.flows.items()) + list(model.associations.items())
             if k in model.flows or k in model.drawn_edges]

    def distance(edge):
        _, s, t = edge
        a, b = boxes[s], boxes[t]
        backwards = 2000 if b[0] + b[2] / 2 < a[0] + a[2] / 2 else 0
        return abs(a[0] + a[2] / 2 - b[0] - b[2] / 2) + abs(a[1] + a[3] / 2 - b[1] - b[3] / 2) + backwards
    routes = {}
    for key, source, target in sorted(edges, key=distance):
        ignore = containers_of(model, source) | containers_of(model, target)
        if model.kind[target] in ("subProcess", "transaction") and target in containers_of(model, source):
            ignore.add(target)
        points = None
        for window in (300, 900, None):
            points = grid.route(source, target, boxes[source], boxes[target], ignore, window)
            if points:
                break
        if points is None:
            raise SystemExit(f"no route for {key} ({source} → {target})")
        grid.mark(points, (source, target))
        routes[key] = points
    return routes


def segments_of(routes: dict) -> list[tuple]:
    return [(key, a, b) for key, points in routes.items() for a, b in zip(points, points[1:])]


def hits(box, a, b) -> bool:
    """An orthogonal segment runs through a box's inside."""
    x0, y0, x1, y1 = box[0], box[1], box[0] + box[2], box[1] + box[3]
    if a[0] == b[0]:
        return x0 < a[0] < x1 and min(a[1], b[1]) < y1 and max(a[1], b[1]) > y0
    return y0 < a[1] < y1 and min(a[0], b[0]) < x1 and max(a[0], b[0]) > x0


def overlap(a, b, pad=0) -> bool:
    return (a[0] < b[0] + b[2] + pad and b[0] < a[0] + a[2] + pad
            and a[1] < b[1] + b[3] + pad and b[1] < a[1] + a[3] + pad)


def place_labels(model: Model, boxes: dict, routes: dict, reserved: dict) -> dict[str, tuple]:
    """Each external label where it covers no shape and no label and as few lines as may be."""
    shapes = [b for k, b in boxes.items() if model.kind[k] not in ("participant", "lane", "subProcess", "transaction")]
    frames = [(k, b) for k, b in boxes.items() if model.kind[k] in ("subProcess", "transaction")]
    lane_boxes = [b for k, b in boxes.items() if model.kind[k] == "lane"] or \
        [b for k, b in boxes.items() if model.kind[k] == "participant"]
    segments = segments_of(routes)
    placed: dict[str, tuple] = dict(reserved)         # the boundary events' labels first claim their places
    external = [k for k in boxes if (model.kind[k].endswith("Event") or model.kind[k].endswith("Gateway")
                                     or model.kind[k] == "dataObjectReference") and model.names.get(k)]
    named_flows = [k for k in routes if model.kind.get(k) == "sequenceFlow" and model.names.get(k)]
    for key in named_flows + external:
        lw, lh = label_size(model.names[key])
        candidates = (node_spots(boxes[key], lw, lh) if key in boxes else flow_spots(routes[key], lw, lh))
        if key in reserved:
            candidates = [reserved[key][:2]] + candidates
        best = None
        for rank, (x, y) in enumerate(candidates):
            box = (x, y, lw, lh)
            if any(overlap(box, s, 2) for s in shapes) \
                    or any(overlap(box, p, 2) for k, p in placed.items() if k != key):
                continue
            inner = containers_of(model, key) if key in model.element else set()
            if any(overlap(box, b) for k, b in frames if k not in inner and not contains(b, box)):
                continue
            if not any(contains(lb, box) for lb in lane_boxes):
                continue
            cost = rank + 100 * sum(1 for k, a, b in segments if hits(box, a, b))
            if best is None or cost < best[0]:
                best = (cost, box)
        if best is None:
            raise SystemExit(f"no place for the label of {key}")
        placed[key] = best[1]
    return placed


def contains(outer, inner) -> bool:
    return (outer[0] <= inner[0] and outer[1] <= inner[1] and inner[0] + inner[2] <= outer[0] + outer[2]
            and inner[1] + inner[3] <= outer[1] + outer[3])


def node_spots(box, lw, lh):
    x, y, w, h = box
    cx = x + w / 2
    spots = [(cx - lw / 2, y + h + 4), (cx - lw / 2, y - lh - 4), (x + w + 4, y + h + 2), (x - lw - 4, y + h + 2),
             (x + w + 4, y - lh - 2), (x - lw - 4, y - lh - 2)]
    for d in range(10, 160, 10):
        spots += [(cx - lw / 2, y + h + 4 + d), (cx - lw / 2, y - lh - 4 - d), (x + w + 4 + d, y + h + 2 + d / 2),
                  (x - lw - 4 - d, y + h + 2 + d / 2), (x + w + 4 + d, y - lh - 2 - d / 2),
                  (x - lw - 4 - d, y - lh - 2 - d / 2)]
    for d in range(0, 120, 12):            # beside the shape, further and further
        spots += [(x + w + 4 + d, y + h / 2 - lh / 2), (x - lw - 4 - d, y + h / 2 - lh / 2)]
    return [(round(a), round(b)) for a, b in spots]


def flow_spots(points, lw, lh):
    spots = []
    for a, b in zip(points, points[1:]):
        if a[1] == b[1]:
            lo, hi = sorted((a[0], b[0]))
            for px in range(int(lo + lw / 2 + 6), int(hi - lw / 2 - 5), 10) or [int((lo + hi) / 2)]:
                spots += [(px - lw / 2, a[1] - lh - 3), (px - lw / 2, a[1] + 3)]
            if hi - lo < lw + 12:
                for d in range(3, 70, 10):
                    for x in ((lo + hi) / 2 - lw / 2, lo + 4, hi - lw - 4):
                        spots += [(x, a[1] - lh - d), (x, a[1] + d)]
        else:
            lo, hi = sorted((a[1], b[1]))
            for py in list(range(int(lo + lh / 2 + 6), int(hi - lh / 2 - 5), 10)) or [int((lo + hi) / 2)]:
                spots += [(a[0] + 4, py - lh / 2), (a[0] - lw - 4, py - lh / 2)]
    return [(round(x), round(y)) for x, y in spots]


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
