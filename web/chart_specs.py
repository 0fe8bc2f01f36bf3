"""The 统计 page's charts as Apache ECharts options, built here so the page only draws them and tests read what it
is handed: a bar per group, a line over months, a stacked outcome mix, a pie, and a report's organisation chart
as a tree; each in ECharts' Chinese (or English) locale, saved as an image by its toolbox, and an empty period
shown as 无数据 over empty axes rather than as a blank."""
from __future__ import annotations

from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import escape

KINDS = {"bar": "bar", "line": "line", "stacked": "bar", "pie": "pie"}
STACK = "total"


def locale() -> str:
    """ECharts' locale for the interface's language (its built-in ZH and EN)."""
    found = get_locale()
    return "EN" if found is not None and found.language == "en" else "ZH"


def chart(shown: dict, renderer: str = "canvas") -> dict:
    """A presented report's chart (`stats_view.present`): the ECharts option, the cases behind each point
    (`urls`, by series then category) and which series are percentages (their tooltip adds %)."""
    kind = KINDS.get(shown["chart"], "bar")
    categories = [row["label"] for row in shown["rows"]]
    empty = not any(v for s in shown["series"] for v in s["data"])
    option = {"animation": renderer == "canvas", "tooltip": {"trigger": "item" if kind == "pie" else "axis"},
              "legend": {"top": 0}, "toolbox": _toolbox(shown["key"]),
              "grid": {"left": 48, "right": 24, "top": 48, "bottom": 64},
              "series": [_series(shown["chart"], kind, s, categories) for s in shown["series"]]}
    if kind != "pie":
        option["xAxis"] = {"type": "category", "data": categories,
                           "axisLabel": {"interval": 0, "rotate": 30 if len(categories) > 6 else 0}}
        option["yAxis"] = {"type": "value", "minInterval": 1}
    if empty:
        option["graphic"] = [_no_data()]
    return {"key": shown["key"], "kind": shown["chart"], "locale": locale(), "renderer": renderer, "empty": empty,
            "option": option, "urls": [s["urls"] for s in shown["series"]],
            "percent": [n for n, s in enumerate(shown["series"]) if s["percent"]]}


def tree(shown: dict, renderer: str = "canvas") -> dict:
    """A report's organisation chart (`stats_view.tree`) as an ECharts tree: each organisation coloured from red
    (0 %) to green (100 %), grey without data, labelled with its rate; a click opens the cases behind it (the
    item's `url`)."""
    option = {"animation": renderer == "canvas", "tooltip": {"trigger": "item"}, "toolbox": _toolbox(shown["key"]),
              "series": [{"type": "tree", "data": [_node(shown["root"], shown["label"])], "orient": "LR",
                          "top": 24, "bottom": 24, "left": 120, "right": 200, "symbolSize": 14,
                          "initialTreeDepth": -1, "expandAndCollapse": False,
                          "label": {"position": "left", "verticalAlign": "middle", "align": "right", "fontSize": 12},
                          "leaves": {"label": {"position": "right", "align": "left"}},
                          "lineStyle": {"color": "#999"}}]}
    return {"key": shown["key"], "kind": "tree", "locale": locale(), "renderer": renderer, "empty": False,
            "option": option, "urls": [], "percent": []}


def _toolbox(key: str) -> dict:
    return {"feature": {"saveAsImage": {"title": _("保存为图片"), "name": key}}}


def _no_data() -> dict:
    return {"type": "text", "left": "center", "top": "middle", "silent": True,
            "style": {"text": _("无数据"), "fontSize": 16, "fill": "#888"}}


def _series(chart_kind: str, kind: str, series: dict, categories: list[str]) -> dict:
    out = {"name": series["name"], "type": kind, "data": series["data"], "emphasis": {"focus": "series"}}
    if chart_kind == "stacked":
        out["stack"] = STACK
    if kind == "pie":
        out["data"] = [{"name": c, "value": v} for c, v in zip(categories, series["data"])]
    return out


def colour(value: float | None) -> str:
    """An organisation's colour by its rate in percent: red at 0, green at 100, grey without data."""
    if value is None:
        return "#b0b0b0"
    return f"hsl({round(max(0, min(100, value)) * 1.2)}, 65%, 42%)"


def _node(node: dict, label: str) -> dict:
    """One organisation of the tree, with the cases behind its figure (`url`, kept by ECharts on the item)."""
    fill = colour(node["value"])
    return {"name": node["name"], "value": node["value"], "url": node["url"],
            "itemStyle": {"color": fill, "borderColor": fill},
            "label": {"formatter": f"{node['name']}\n{node['text']}", "backgroundColor": fill, "color": "#fff",
                      "padding": [3, 6], "borderRadius": 3, "lineHeight": 16},
            "tooltip": {"formatter": f"{escape(node['name'])}<br>{escape(label)}：{escape(node['text'])}"},
            "children": [_node(c, label) for c in node["children"]]}
