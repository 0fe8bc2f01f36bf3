"""Where each external label goes: clear of every shape and label, over as few lines as may be.

Kept apart because it runs last, on the boxes and routes the other parts laid.
"""
from __future__ import annotations

from tests.diagram_layout import label_size

from .placement import Model, containers_of, overlap


def segments_of(routes: dict) -> list[tuple]:
    return [(key, a, b) for key, points in routes.items() for a, b in zip(points, points[1:])]


def hits(box, a, b) -> bool:
    """An orthogonal segment runs through a box's inside."""
    x0, y0, x1, y1 = box[0], box[1], box[0] + box[2], box[1] + box[3]
    if a[0] == b[0]:
        return x0 < a[0] < x1 and min(a[1], b[1]) < y1 and max(a[1], b[1]) > y0
    return y0 < a[1] < y1 and min(a[0], b[0]) < x1 and max(a[0], b[0]) > x0


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
