"""Recorded draws on the case page, in the JSON API and in the CLI: listed, re-run (复核), published (公开), and
nothing of them for an outsider."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from engine.core.models import Case
from engine.core.case_records import RandomDraw
from engine.records import draws
from web.cli import main
from web.database import session as db_session

from .conftest import DEMO_MOMENT
from .web_helpers import csrf, login, token_for

FIRMS = [{"key": f"F-{n:04d}", "name": f"第{n}律师事务所"} for n in range(1, 7)]


@pytest.fixture
def drawn(app) -> dict:
    """A county-a case of the demo with a recorded sample of three firms (as draw_sample records one)."""
    with app.app_context():
        db = db_session()
        case = db.scalar(select(Case).where(Case.org.has(code="county-a")).order_by(Case.id))
        seed = "0f3c9a"
        chosen = draws.sample([f["key"] for f in FIRMS], 3, seed)
        draw_id = draws.record(db, case_id=case.id, purpose="年度随机抽查", method=draws.SAMPLE, seed=seed,
                               pool={"items": FIRMS}, criteria={"year": 2025, "count": 3},
                               result={"chosen": chosen}, drawn_by="zhang", drawn_at=DEMO_MOMENT)
        db.commit()
        return {"case_id": case.id, "draw_id": draw_id, "chosen": chosen, "seed": seed}


def tamper(app, draw_id: int) -> None:
    with app.app_context():
        db = db_session()
        db.execute(update(RandomDraw).where(RandomDraw.id == draw_id).values(result={"chosen": ["F-0001"]}))
        db.commit()


def page(client, case_id: int) -> str:
    return client.get(f"/cases/{case_id}").get_data(as_text=True)


def post(client, path: str, case_id: int):
    return client.post(path, data={"csrf_token": csrf(client, f"/cases/{case_id}")}, follow_redirects=True)


def test_the_case_page_lists_the_draw_and_its_recheck_says_consistent(app, client, drawn):
    login(client, "zhang")
    html = page(client, drawn["case_id"])
    assert "抽取记录" in html and "年度随机抽查" in html and drawn["seed"] in html and "6 个" in html
    first = next(f for f in FIRMS if f["key"] == drawn["chosen"][0])
    assert f"{first['key']}（{first['name']}）" in html and "抽取数量：3" in html and "未公开" in html
    answer = post(client, f"/cases/{drawn['case_id']}/draws/{drawn['draw_id']}/verify", drawn["case_id"])
    assert f"抽取记录 {drawn['draw_id']} 复核一致" in answer.get_data(as_text=True)
    tamper(app, drawn["draw_id"])
    answer = post(client, f"/cases/{drawn['case_id']}/draws/{drawn['draw_id']}/verify", drawn["case_id"])
    assert f"抽取记录 {drawn['draw_id']} 复核不一致" in answer.get_data(as_text=True)


def test_staff_of_the_cases_organisation_publish_a_draw_and_others_may_not(app, client, drawn):
    path = f"/cases/{drawn['case_id']}/draws/{drawn['draw_id']}/publish"
    login(client, "admin")                               # the city sees the case, but it is not the city's
    assert f'id="publish-draw-{drawn["draw_id"]}"' not in page(client, drawn["case_id"])
    assert "只有案件办理机构的工作人员可以公开抽取结果" in post(client, path, drawn["case_id"]).get_data(as_text=True)
    client.get("/logout")
    login(client, "zhang")
    assert f'id="publish-draw-{drawn["draw_id"]}"' in page(client, drawn["case_id"])
    html = post(client, path, drawn["case_id"]).get_data(as_text=True)
    assert "抽取结果已公开" in html and "已公开（2025-10-13 09:00）" in html and "公开抽取结果" in html


def test_the_api_lists_verifies_and_publishes_a_draw(app, client, drawn):
    token = token_for(app, "zhang")
    base = f"/api/v1/cases/{drawn['case_id']}/draws"
    listed = client.get(base, headers=token).get_json()
    assert [(d["id"], d["seed"], d["result"]) for d in listed] == [
        (drawn["draw_id"], drawn["seed"], {"chosen": drawn["chosen"]})]
    check = client.get(f"{base}/{drawn['draw_id']}/verify", headers=token).get_json()
    assert check["consistent"] is True and check["recomputed"] == {"chosen": drawn["chosen"]}
    published = client.post(f"{base}/{drawn['draw_id']}/publish", headers=token, json={})
    assert published.status_code == 200 and published.get_json()["published_at"]
    again = client.post(f"{base}/{drawn['draw_id']}/publish", headers=token, json={})
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    tamper(app, drawn["draw_id"])
    assert client.get(f"{base}/{drawn['draw_id']}/verify", headers=token).get_json()["consistent"] is False


def test_an_outsider_gets_404_on_every_draw_route(app, client, drawn):
    token = token_for(app, "wang")                       # county-b
    base = f"/api/v1/cases/{drawn['case_id']}/draws"
    for method, path in (("GET", base), ("GET", f"{base}/{drawn['draw_id']}/verify"),
                         ("POST", f"{base}/{drawn['draw_id']}/publish")):
        answer = client.open(path, method=method, headers=token, json={} if method == "POST" else None)
        assert answer.status_code == 404 and answer.mimetype == "application/problem+json", path
        assert drawn["seed"] not in answer.get_data(as_text=True)
    login(client, "wang")
    for action in ("verify", "publish"):
        answer = client.post(f"/cases/{drawn['case_id']}/draws/{drawn['draw_id']}/{action}",
                             data={"csrf_token": csrf(client, "/inbox")})
        assert answer.status_code == 404
    with app.app_context():
        assert db_session().get(RandomDraw, drawn["draw_id"]).published_at is None


def test_a_draw_of_another_case_is_not_found_under_this_one(app, client, drawn):
    with app.app_context():
        other = db_session().scalar(select(Case.id).where(Case.org.has(code="county-a"), Case.id != drawn["case_id"]))
    token = token_for(app, "zhang")
    assert client.get(f"/api/v1/cases/{other}/draws/{drawn['draw_id']}/verify", headers=token).status_code == 404


def test_the_cli_reruns_a_draw_from_its_record(app, drawn):
    runner = app.test_cli_runner()
    same = runner.invoke(main, ["draw", "verify", str(drawn["draw_id"])])
    assert same.exit_code == 0 and "复核一致" in same.output and drawn["seed"] in same.output
    tamper(app, drawn["draw_id"])
    changed = runner.invoke(main, ["draw", "verify", str(drawn["draw_id"])])
    assert changed.exit_code == 1 and "复核不一致" in changed.output
    assert runner.invoke(main, ["draw", "verify", "999999"]).exit_code == 2


def test_the_portal_lists_a_published_draw_and_anyone_may_recheck_it(app, client, drawn):
    path = f"/portal/draws/{drawn['draw_id']}"
    assert client.get(path).status_code == 404                  # not yet published: as if it did not exist
    assert "暂无公开的抽取结果" in client.get("/portal/draws").get_data(as_text=True)
    assert "随机抽取结果公开" not in client.get("/portal/").get_data(as_text=True)
    login(client, "zhang")
    post(client, f"/cases/{drawn['case_id']}/draws/{drawn['draw_id']}/publish", drawn["case_id"])
    client.get("/logout")
    assert "随机抽取结果公开" in client.get("/portal/").get_data(as_text=True)
    listing = client.get("/portal/draws").get_data(as_text=True)
    assert "年度随机抽查" in listing and "东城区司法局" in listing and path in listing
    first = next(f for f in FIRMS if f["key"] == drawn["chosen"][0])
    html = client.get(path).get_data(as_text=True)
    assert drawn["seed"] in html and f"{first['key']}（{first['name']}）" in html and "抽取数量：3" in html
    assert "zhang" not in html                                   # who ran it stays with the staff pages
    checked = client.post(path, data={"csrf_token": csrf(client, path)}).get_data(as_text=True)
    assert "复核一致" in checked
    tamper(app, drawn["draw_id"])
    assert "复核不一致" in client.post(path, data={"csrf_token": csrf(client, path)}).get_data(as_text=True)


def test_the_published_draws_read_in_english(client, app, drawn):
    with app.app_context():
        db = db_session()
        db.get(RandomDraw, drawn["draw_id"]).published_at = DEMO_MOMENT
        db.commit()
    client.get("/lang/en")
    html = client.get(f"/portal/draws/{drawn['draw_id']}").get_data(as_text=True)
    assert "Organised by" in html and "Published" in html and "组织机关" not in html
