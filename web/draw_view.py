"""A recorded random draw (双随机一公开) in words, as the case page and the public portal show it."""
from __future__ import annotations

from flask_babel import gettext as _

from engine.records import draws

from .readable import field_value

CRITERIA_LABELS = {"count": "抽取数量", "per_target": "每个对象人数", "max_per_person": "每人至多", "excluded": "回避"}


def draw_view(draw) -> dict:
    """A recorded draw as the case page lists it: names beside keys, criteria and result in words."""
    pool = draw.pool or {}
    names = {e["key"]: e.get("name") for part in pool.values() for e in part if isinstance(e, dict) and "key" in e}
    label = lambda key: f"{key}（{names[key]}）" if names.get(key) else key  # noqa: E731
    if draw.method == draws.SAMPLE:
        size = _("%(count)s 个", count=len(pool.get("items", [])))
        result = "、".join(label(k) for k in (draw.result or {}).get("chosen", []))
    else:
        size = _("对象 %(targets)s 个，人员 %(people)s 名", targets=len(pool.get("targets", [])),
                 people=len(pool.get("people", [])))
        result = "；".join(f"{label(t)}：{'、'.join(label(p) for p in ps)}"
                          for t, ps in (draw.result or {}).get("assignment", {}).items())
    criteria = "；".join(f"{_(CRITERIA_LABELS[k]) if k in CRITERIA_LABELS else k}：{_criterion(v)}"
                        for k, v in (draw.criteria or {}).items())
    return {"id": draw.id, "purpose": draw.purpose, "drawn_at": draw.drawn_at, "drawn_by": draw.drawn_by,
            "size": size, "criteria": criteria, "seed": draw.seed, "algorithm": draw.algorithm, "result": result,
            "published_at": draw.published_at}


def _criterion(value) -> str:
    if isinstance(value, dict):
        return "，".join(f"{k} {_criterion(v)}" for k, v in value.items()) or _("无")
    return field_value(value)
