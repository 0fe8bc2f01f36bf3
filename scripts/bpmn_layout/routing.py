"""How each flow runs: A* on an orthogonal grid of lines along the shapes' sides and tracks between them.

Kept apart from the placement because it only reads the boxes, and the labels only read the routes it lays.
"""
from __future__ import annotations

import heapq
from collections import defaultdict

from .placement import Model, containers_of

MARGIN = 10           # flows keep this far from shapes
BEND, CROSS, ALONG = 40, 120, 12      # a route's costs beside its length (ALONG per unit of shared length)


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
