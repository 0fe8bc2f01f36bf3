"""Rules kept in git, deployed by API (issue 21): a pipeline creates a draft, rewrites a diagram, reads its problems
and diff, publishes, migrates a running case, rolls back, exports and imports a zip — with the pages' checks (a
broken diagram is refused naming file and line, a non-policy token is 403) and nothing saved when refused."""
from __future__ import annotations

import io
import zipfile
from datetime import datetime

import time_machine
from sqlalchemy import func, select

from engine.core.models import Bundle, BundleDraft, Case
from engine.definitions import bundles
from engine.runtime import cases
from engine.time.workdays import CHINA_TZ
from web.database import session as db_session
from web.workflow import engine

from .web_helpers import token_for

SAMPLE = "processes/sample/sample_review.bpmn"
API = "/api/v1"


def active_version(app) -> int:
    with app.app_context():
        return bundles.active_bundle(db_session()).version


def counts(app):
    with app.app_context():
        db = db_session()
        return (db.scalar(select(func.count()).select_from(Bundle)), db.scalar(select(func.count()).select_from(BundleDraft)),
                bundles.active_bundle(db).version)


def test_a_pipeline_changes_a_diagram_publishes_migrates_and_rolls_back(app, client):
    policy = token_for(app, "admin")
    before = active_version(app)
    with app.app_context(), time_machine.travel(datetime(2025, 10, 14, 9, 0, tzinfo=CHINA_TZ), tick=False):
        waiting = cases.start_case(engine(), db_session(), "sample_review", {}, org_code="county-a", actor="zhang").id
    made = client.post(f"{API}/drafts", json={"name": "审核改名"}, headers=policy)
    assert made.status_code == 201
    draft = made.get_json()
    assert draft["base_version"] == before and SAMPLE in [f["path"] for f in draft["files"]]
    diagram = client.get(f"{API}/drafts/{draft['id']}/files/{SAMPLE}", headers=policy)
    assert diagram.status_code == 200 and b'name="\xe5\xae\xa1\xe6\xa0\xb8"' in diagram.data     # name="审核"
    changed = diagram.data.replace('name="审核"'.encode(), 'name="科长审核"'.encode())
    saved = client.put(f"{API}/drafts/{draft['id']}/files/{SAMPLE}", data=changed, headers=policy)
    assert saved.status_code == 200 and saved.get_json()["saved"]
    assert [p for p in saved.get_json()["problems"] if p["severity"] == "error"] == []
    diff = client.get(f"{API}/drafts/{draft['id']}/diff", headers=policy).get_json()["changes"]
    assert [d["path"] for d in diff] == [SAMPLE]
    aspects = [a for c in diff[0]["changed"] for a in c["aspects"]]
    assert {"before": "审核", "after": "科长审核"}.items() <= next(a for a in aspects if a["after"] == "科长审核").items()
    published = client.post(f"{API}/drafts/{draft['id']}/publish", json={"note": "流水线发布"}, headers=policy)
    assert published.status_code == 201 and published.get_json()["version"] == before + 1
    assert client.get(f"{API}/processes", headers=policy).get_json()[0]["bundle_version"] == before + 1

    preview = client.get(f"{API}/migrations?process=sample_review&to={before + 1}", headers=policy).get_json()["cases"]
    mine = next(p for p in preview if p["case"] == waiting)
    assert mine["can_migrate"] and mine["from_version"] == before and mine["to_version"] == before + 1
    moved = client.post(f"{API}/migrations", json={"process": "sample_review", "to": before + 1,
                                                    "cases": [waiting, 999999]}, headers=policy).get_json()
    assert moved["moved"] == [waiting] and [r["case"] for r in moved["refused"]] == [999999]
    with app.app_context():
        assert db_session().get(Case, waiting).definition.bundle.version == before + 1

    rolled = client.post(f"{API}/bundles/{before}/republish", json={"note": "回退"}, headers=policy)
    assert rolled.status_code == 200 and active_version(app) == before
    exported = client.get(f"{API}/bundles/{before + 1}/export", headers=policy)
    assert exported.mimetype == "application/zip"
    assert "科长审核" in zipfile.ZipFile(io.BytesIO(exported.data)).read(SAMPLE).decode()
    imported = client.post(f"{API}/drafts/import?name=从仓库导入", data=exported.data, headers=policy)
    assert imported.status_code == 201 and imported.get_json()["name"] == "从仓库导入"
    assert client.get(f"{API}/drafts/{imported.get_json()['id']}/files/{SAMPLE}", headers=policy).data == changed


def test_a_broken_diagram_is_refused_at_publish_with_file_and_line_and_nothing_changes(app, client):
    policy = token_for(app, "admin")
    draft = client.post(f"{API}/drafts", json={"name": "坏图"}, headers=policy).get_json()
    saved = client.put(f"{API}/drafts/{draft['id']}/files/{SAMPLE}", data=b"<bpmn:definitions>\n<broken", headers=policy)
    problems = saved.get_json()["problems"]
    assert any(p["file"] == SAMPLE and p["severity"] == "error" and p["line"] for p in problems)
    assert client.get(f"{API}/drafts/{draft['id']}/problems", headers=policy).get_json() == problems
    before = counts(app)
    refused = client.post(f"{API}/drafts/{draft['id']}/publish", json={}, headers=policy)
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert any(p["file"] == SAMPLE and p["line"] for p in refused.get_json()["errors"])
    assert counts(app) == before


def test_bad_requests_name_the_field_and_change_nothing(app, client):
    policy = token_for(app, "admin")
    before = counts(app)
    nameless = client.post(f"{API}/drafts", json={"name": ""}, headers=policy)
    assert nameless.status_code == 422 and "name" in nameless.get_json()["errors"][0]["field"]
    not_zip = client.post(f"{API}/drafts/import?name=x", data=b"not a zip", headers=policy)
    assert not_zip.status_code == 422
    outside = client.put(f"{API}/drafts/1/files/../../etc/passwd", data=b"x", headers=policy)
    assert outside.status_code in (404, 422)
    assert client.post(f"{API}/bundles/999/republish", json={}, headers=policy).status_code == 404
    assert counts(app) == before


def test_only_policy_staff_may_use_the_rules_api(app, client):
    handler = token_for(app, "zhang")
    assert client.get(f"{API}/drafts", headers=handler).status_code == 403
    assert client.post(f"{API}/drafts", json={"name": "x"}, headers=handler).status_code == 403
    assert client.get(f"{API}/drafts").status_code == 401


SCENARIO = {"process": "sample_review", "org": "county-a", "start": "2027-03-01",
            "steps": [{"task": "Task_fill", "values": {"title": "办公设备采购", "reason": "旧设备已无法使用", "amount": 3000}}]}


def test_a_pipeline_tries_a_draft_and_runs_its_saved_scenarios_leaving_no_trace(app, client):
    policy = token_for(app, "admin")
    draft = client.post(f"{API}/drafts", json={"name": "试运行"}, headers=policy).get_json()
    before = counts(app)
    with app.app_context():
        cases_before = db_session().scalar(select(func.count()).select_from(Case))
    ran = client.post(f"{API}/drafts/{draft['id']}/trial", json={"scenario": SCENARIO}, headers=policy)
    assert ran.status_code == 200
    outcome = ran.get_json()
    assert outcome["failed_step"] is None and outcome["status"] == "running"
    assert [t["name"] for t in outcome["tasks"] if t["status"] == "ready"] == ["审核"]
    assert "填写申请" in outcome["route"]
    # saved with its outcome, then the diagram renamed: the regression run names what changed
    recorded = {**SCENARIO, "expected": outcome["summary"]}
    import json
    path = "forms/sample/scenarios/fill.json"
    client.put(f"{API}/drafts/{draft['id']}/files/{path}", headers=policy,
               data=json.dumps(recorded, ensure_ascii=False).encode())
    diagram = client.get(f"{API}/drafts/{draft['id']}/files/{SAMPLE}", headers=policy).data
    client.put(f"{API}/drafts/{draft['id']}/files/{SAMPLE}", headers=policy,
               data=diagram.replace('name="审核"'.encode(), 'name="科长审核"'.encode()))
    checks = client.get(f"{API}/drafts/{draft['id']}/trial", headers=policy).get_json()
    assert checks["changed"] == 1
    change = next(c for c in checks["scenarios"] if c["path"] == path)["changes"]
    assert {"what": "open", "item": "", "before": "审核", "after": "科长审核"} in change
    again = client.post(f"{API}/drafts/{draft['id']}/trial", json={"path": path}, headers=policy).get_json()
    assert again["changes"] == change
    bad = client.post(f"{API}/drafts/{draft['id']}/trial", json={"scenario": {"process": "sample_review"}},
                      headers=policy)
    assert bad.status_code == 422 and bad.get_json()["errors"]
    with app.app_context():
        assert db_session().scalar(select(func.count()).select_from(Case)) == cases_before
    assert counts(app) == before


def test_a_case_that_cannot_migrate_is_refused_with_a_reason_from_the_catalogue(app, client, monkeypatch):
    """The API answers in Chinese (it keeps no session to choose a language in); its reasons are the interface's
    catalogue entries all the same, read here in English."""
    policy = token_for(app, "admin")
    monkeypatch.setattr(app.extensions["babel"], "locale_selector", lambda: "en")
    moved = client.post(f"{API}/migrations", json={"process": "sample_review", "to": active_version(app),
                                                    "cases": [999999]}, headers=policy).get_json()
    assert moved == {"moved": [], "refused": [{"case": 999999,
                                               "reason": "Not a running case of this process that can be migrated"}]}
