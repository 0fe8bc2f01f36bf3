"""系统管理 · 角色 (issue 22): every role the published diagrams use, with its holders in the administrator's subtree
and where it is used; a diagram naming a role the catalogue lacks is flagged at validation; a role is deleted from
the catalogue and its holders, refused while a running case waits for it, while the diagrams name it, or while
people outside the subtree hold it; each change audited. Engine tests on both databases, then the pages."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.core import AuditEvent, InvalidState, Role, people
from engine.core.errors import DataValidationError
from engine.definitions import bundles, drafts
from engine.runtime import cases
from engine.work import roles

from .conftest import ROOT
from .helpers import only_ready, raises_zh, zh
from .web_helpers import csrf, field_errors, login


@pytest.fixture
def admins(session, deployed):
    """`root`, administrator of the city's whole tree, and `ada`, of county A only."""
    people.add_role(session, "admin", "系统管理员")
    people.add_user(session, "root", "市管理员", "city", ["admin"])
    people.add_user(session, "ada", "A区管理员", "county-a", ["admin"])
    session.commit()
    return people.user_by_name(session, "root"), people.user_by_name(session, "ada")


def view(views, code):
    return next(v for v in views if v.code == code)


def test_each_role_the_diagrams_use_shows_its_holders_in_the_subtree_and_where_it_is_used(engine, session, admins):
    root, ada = admins
    views = roles.overview(engine, session, root)
    handler = view(views, "handler")
    assert [u.username for u in handler.holders] == ["alice", "amy", "carl"] and handler.holder_count == 3
    uses = {(u.process, u.element, u.how) for u in handler.uses}
    assert ("sample_review", "Task_fill", "lane") in uses              # the lane 经办人 names the role by name
    assert ("sample_review", None, "starterRoles") in uses             # the process property names it by code
    assert any(u.how == "transferRoles" and u.element == "Task_fill" for u in view(views, "leader").uses)
    unregistered = [v for v in views if v.role is None]
    assert unregistered and all(v.uses for v in unregistered)          # named by diagrams, lacking in the catalogue
    assert view(views, "admin").uses == [] and view(views, "admin").role is not None

    mine = view(roles.overview(engine, session, ada), "handler")       # county A's administrator sees his own
    assert [u.username for u in mine.holders] == ["alice", "amy"] and mine.holder_count == 2


def test_a_role_a_running_case_waits_for_cannot_be_deleted(engine, session, admins):
    root, _ = admins
    case = cases.start_case(engine, session, "sample_review", {}, org_code="county-a", actor="alice")
    assert only_ready(session, case.id).lane == "经办人"
    assert view(roles.overview(engine, session, root), "handler").waiting == 1
    handler = roles.managed_role(session, "handler")
    with raises_zh(InvalidState, "角色「经办人」不能删除：进行中的案件还有 1 个任务等待该角色办理"):
        roles.delete_role(engine, session, root, handler, engine.now())
    session.rollback()
    assert session.scalar(select(Role).where(Role.code == "handler")) is not None
    assert [r.code for r in people.user_by_name(session, "alice").roles] == ["handler"]
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "admin.role_deleted")).all() == []


def test_a_role_the_published_diagrams_name_cannot_be_deleted(engine, session, admins):
    root, _ = admins
    with raises_zh(InvalidState, r"角色「分管领导」不能删除：已发布的流程图有 \d+ 处使用它（首处：.*），请先修改流程图"):
        roles.delete_role(engine, session, root, roles.managed_role(session, "director"), engine.now())


def test_a_role_is_added_and_deleted_from_the_catalogue_and_its_holders_audited(engine, session, admins):
    root, ada = admins
    made = roles.create_role(session, ada, {"code": "archivist", "name": "档案管理员"}, engine.now())
    people.add_user(session, "arch", "档案员", "county-a", ["archivist"])
    session.commit()
    with pytest.raises(DataValidationError) as refused:
        roles.create_role(session, ada, {"code": "archivist", "name": "经办人"}, engine.now())
    assert {e.field: zh(e) for e in refused.value.errors} == {
        "code": "archivist 已是某个角色的代码或名称", "name": "经办人 已是某个角色的代码或名称"}

    roles.delete_role(engine, session, ada, made, engine.now())
    session.commit()
    assert session.scalar(select(Role).where(Role.code == "archivist")) is None
    assert people.user_by_name(session, "arch").roles == []
    created, deleted = session.scalars(select(AuditEvent).where(AuditEvent.action.in_(
        ["admin.role_created", "admin.role_deleted"])).order_by(AuditEvent.id)).all()
    assert created.actor == "ada" and created.detail["after"] == {"code": "archivist", "name": "档案管理员"}
    assert deleted.detail["before"] == {"code": "archivist", "name": "档案管理员", "holders": ["arch"]}


def test_a_role_held_outside_the_subtree_cannot_be_deleted_by_a_county_administrator(engine, session, admins):
    root, ada = admins
    shared = roles.create_role(session, root, {"code": "clerk", "name": "书记员"}, engine.now())
    people.add_user(session, "bea", "书记员乙", "county-b", ["clerk"])
    session.commit()
    with raises_zh(InvalidState, "角色「书记员」不能删除：本机构以外还有 1 名用户持有该角色"):
        roles.delete_role(engine, session, ada, shared, engine.now())
    session.rollback()
    roles.delete_role(engine, session, root, roles.managed_role(session, "clerk"), engine.now())


def test_a_diagram_naming_a_role_the_catalogue_lacks_is_flagged_at_validation(engine, session, admins):
    files = bundles.collect(ROOT)
    path = "processes/sample/sample_review.bpmn"
    files[path] = files[path].replace('name="分管领导"'.encode(), 'name="分管领导们"'.encode(), 1)
    draft = drafts.create(session, engine, actor="policy", name="改泳道")
    drafts.put(session, engine, draft.id, path, files[path], actor="policy")
    found = [p for p in drafts.validate(session, engine, draft.id)
             if p.msg.code == "validation.role_unregistered" and p.file == path]
    assert [(p.file, p.element, p.blocking) for p in found] == [(path, "Task_escalate", False)] and found[0].line
    assert zh(found[0]) == "泳道 指定的角色 分管领导们 不在角色目录中：系统管理员添加该角色之前，无人能办理相应任务"


def test_a_fresh_installation_deploys_its_diagrams_before_its_roles_without_a_warning(engine, session):
    result = bundles.deploy(session, bundles.collect(ROOT), engine=engine)
    assert [w for w in result.warnings if w.msg.code == "validation.role_unregistered"] == []


# ---------------------------------------------------------------- the page

def post(client, path, data, page="/admin/roles"):
    return client.post(path, data={"csrf_token": csrf(client, page), **data})


def row_of(html: str, code: str) -> str:
    return html.split(f'id="role-{code}"', 1)[1].split("</tr>", 1)[0]


def test_the_roles_page_shows_holders_uses_and_waiting_tasks_and_refuses_a_role_in_use(app, client):
    login(client, "admin")
    html = client.get("/admin/roles").get_data(as_text=True)
    handler = row_of(html, "handler")
    assert "经办人" in handler and "张明" in handler and "填写申请 <small>(泳道)</small>" in handler
    assert 'class="waiting">2<' in handler and 'id="tab-roles"' in html and "2 处，1 个流程：样例审批" in handler
    assert "未被已发布的流程图使用" in row_of(html, "policy")

    refused = post(client, "/admin/roles/handler/delete", {})
    assert refused.status_code == 409
    assert "角色「经办人」不能删除：进行中的案件还有 2 个任务等待该角色办理" in refused.get_data(as_text=True)
    assert 'id="role-handler"' in client.get("/admin/roles").get_data(as_text=True)

    bad = post(client, "/admin/roles", {"code": "handler", "name": ""})
    assert bad.status_code == 422 and set(field_errors(bad.get_data(as_text=True))) == {"code", "name"}
    made = post(client, "/admin/roles", {"code": "archivist", "name": "档案管理员"})
    assert made.status_code == 302 and 'id="role-archivist"' in client.get("/admin/roles").get_data(as_text=True)
    gone = post(client, "/admin/roles/archivist/delete", {})
    assert gone.status_code == 302 and 'id="role-archivist"' not in client.get("/admin/roles").get_data(as_text=True)
    with app.app_context():
        from web.database import session as db_session

        actions = db_session().scalars(select(AuditEvent.action).where(AuditEvent.actor == "admin")
                                       .order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["admin.role_created", "admin.role_deleted"]


def test_a_county_administrator_sees_only_his_subtrees_holders_and_staff_are_refused(app, client):
    with app.app_context():
        from web.auth import hash_password
        from web.database import session as db_session

        db = db_session()
        people.add_user(db, "admin_b", "乙县管理员", "county-b", ["admin"], password_hash=hash_password("demo1234"))
        db.commit()
    login(client, "admin")
    everyone = row_of(client.get("/admin/roles").get_data(as_text=True), "handler")
    login(client, "admin_b")
    mine = row_of(client.get("/admin/roles").get_data(as_text=True), "handler")
    assert "张明" in everyone and "张明" not in mine                   # zhang works in county A
    login(client, "zhang")
    assert client.get("/admin/roles").status_code == 403
    assert post(client, "/admin/roles/handler/delete", {}, page="/inbox").status_code == 403


def test_a_role_the_diagrams_name_but_the_catalogue_lacks_is_marked_and_offered_to_add(app, client):
    with app.app_context():
        from web.database import session as db_session

        db = db_session()
        db.delete(db.scalar(select(Role).where(Role.code == "peer_reviewer")))   # as if never loaded
        db.commit()
    login(client, "admin")
    row = row_of(client.get("/admin/roles").get_data(as_text=True), "评查专家")
    assert 'data-unregistered="评查专家"' in row and "（泳道）" not in row and "(泳道)" in row
    offered = client.get("/admin/roles?name=评查专家").get_data(as_text=True)
    assert 'name="name" type="text" value="评查专家"' in offered
    made = post(client, "/admin/roles", {"code": "peer_reviewer", "name": "评查专家"})
    assert made.status_code == 302
    assert 'data-unregistered' not in client.get("/admin/roles").get_data(as_text=True)

