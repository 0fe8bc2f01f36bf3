"""/api/v1/stats/<key>/tree on the demo data, on both databases: a report's organisation chart (`orgTree`) through
the API, each organisation with the report's rate over its own subtree, equal to a count made by hand over the
human tasks; a county leader gets only his county's subtree (another county is 404), and a report without a chart
answers with no tree. The OpenAPI document describes the route."""
from __future__ import annotations

from sqlalchemy import select

from engine.core.models import Case, HumanTask, Organization
from web.database import session as db_session

from .web_helpers import token_for

ON_TIME_TASKS = ("Task_investigate",)          # complaint_handling's orgTree: on_time_handling (forms/complaint)


def _on_time_by_hand(app) -> dict[str, tuple[int, int]]:
    """(on time, completed with a due time) of the complaints' 调查核实 steps under each organisation's subtree."""
    with app.app_context():
        db = db_session()
        orgs = db.execute(select(Organization.code, Organization.path)).all()
        steps = db.execute(select(Organization.path, HumanTask.due_at, HumanTask.completed_at)
                           .select_from(HumanTask).join(Case, HumanTask.case_id == Case.id)
                           .join(Organization, Case.org_id == Organization.id)
                           .where(Case.process_key == "lawyer_complaint", HumanTask.status == "completed",
                                  HumanTask.element_id.in_(ON_TIME_TASKS), HumanTask.due_at.is_not(None))).all()
    return {code: (sum(done <= due for p, due, done in steps if p.startswith(path)),
                   sum(1 for p, _d, _c in steps if p.startswith(path))) for code, path in orgs}


def _nodes(node: dict) -> list[dict]:
    return [node, *(n for child in node["children"] for n in _nodes(child))]


def test_the_api_gives_the_organisation_tree_with_each_nodes_rate_over_its_subtree(app, client):
    by_hand = _on_time_by_hand(app)
    answer = client.get("/api/v1/stats/complaint_handling/tree", headers=token_for(app, "admin")).get_json()
    assert answer["org"] == "city-bureau" and answer["measure"] == "on_time_handling"
    root = answer["tree"]
    assert root["code"] == "city-bureau" and {"county-a", "county-b"} <= {c["code"] for c in root["children"]}
    nodes = _nodes(root)
    assert any(n["figure"]["denominator"] for n in nodes)                 # the demo has 调查核实 steps done
    for node in nodes:
        hits, base = by_hand[node["code"]]
        assert (node["figure"]["numerator"], node["figure"]["denominator"]) == (hits, base), node["code"]
        assert node["figure"]["value"] == (hits / base if base else None)
    total = client.get("/api/v1/stats/complaint_handling", headers=token_for(app, "admin")).get_json()["total"]
    assert root["figure"] == total["on_time_handling"]                   # the root: the whole subtree, as the total


def test_a_county_user_gets_only_his_subtree(app, client):
    token = token_for(app, "sun")                                         # 分管副局长 of 东城区 (county-a)
    answer = client.get("/api/v1/stats/complaint_handling/tree", headers=token).get_json()
    assert answer["org"] == "county-a" and answer["tree"]["code"] == "county-a"
    with app.app_context():
        db = db_session()
        mine = set(db.scalars(select(Organization.code).where(Organization.path.startswith(
            db.scalar(select(Organization.path).where(Organization.code == "county-a"))))))
    assert {n["code"] for n in _nodes(answer["tree"])} <= mine and "city-bureau" not in mine
    hits, base = _on_time_by_hand(app)["county-a"]
    assert (answer["tree"]["figure"]["numerator"], answer["tree"]["figure"]["denominator"]) == (hits, base)
    assert client.get("/api/v1/stats/complaint_handling/tree?org=county-b", headers=token).status_code == 404
    assert client.get("/api/v1/stats/complaint_handling/tree?org=city-bureau", headers=token).status_code == 404
    admin = token_for(app, "admin")                                       # the city may look at one county
    assert client.get("/api/v1/stats/complaint_handling/tree?org=county-a", headers=admin).get_json()["tree"] == \
        answer["tree"]


def test_a_report_without_an_organisation_chart_has_no_tree_and_openapi_describes_the_route(app, client):
    answer = client.get("/api/v1/stats/complaint_channels/tree", headers=token_for(app, "admin")).get_json()
    assert answer["tree"] is None and answer["measure"] is None and answer["org"] == "city-bureau"
    assert client.get("/api/v1/stats/no_such_report/tree", headers=token_for(app, "admin")).status_code == 404
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/stats/{key}/tree"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"org", "since", "until"}
    schemas = spec["components"]["schemas"]
    node = next(s for name, s in schemas.items() if name.startswith("StatsTreeNode"))
    assert {"code", "name", "figure", "children"} <= set(node["properties"])
    assert "tree" in next(s for name, s in schemas.items() if name in ("StatsTree", "StatsTreeOut"))["properties"]
