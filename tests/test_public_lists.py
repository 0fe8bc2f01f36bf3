"""Public lists and public messages, in the engine: a process declares them, the portal shows exactly the cases in a
stage with their public fields, and an objection from the public reaches a waiting case and nothing else."""
from __future__ import annotations

import pytest

from engine.core.errors import BundleInvalid, CaseFailed, DataValidationError, InvalidState, NotAllowed, NotFound
from engine.core.models import AuditEvent
from engine.definitions import bundles
from engine.runtime import cases
from engine.work import casework, public_lists

from .helpers import only_ready, raises_zh, roundtrip, zh
from .public_list_diagrams import deploy_listed, listed_files, start_listed

OBJECTION = {"name": "王某", "contact": "13700000000", "text": "该所去年曾因违规收费被投诉，请核实。"}


@pytest.fixture
def listed(session, engine, org_tree):
    """The listed process deployed, with three firms at the notice and one at 初审."""
    deploy_listed(session, engine)
    return {firm: start_listed(session, engine, firm) for firm in ("甲律师事务所", "乙律师事务所", "丙律师事务所")} | {
        "丁律师事务所": start_listed(session, engine, "丁律师事务所", stage="初审")}


def _numbers(page: dict) -> list[str]:
    return [row["number"] for row in page["rows"]]


def test_the_lists_of_the_active_processes_are_declared_with_the_messages_they_accept(session, listed):
    found = {(d["process"], d["name"]): d for d in public_lists.public_lists(session)}
    assert found[("listed", "notice")]["title"] == "拟命名公示"
    assert found[("listed", "notice")]["messages"] == [{"message": "异议", "title": "提出异议"}]
    assert found[("listed", "register")] == {"process": "listed", "process_name": "拟命名公示测试", "name": "register",
                                             "title": "名录", "messages": []}


def test_a_list_shows_exactly_the_cases_in_its_stage_with_only_their_public_fields(session, listed):
    page = public_lists.public_list(session, "listed", "notice")
    notice = [listed[f] for f in ("甲律师事务所", "乙律师事务所", "丙律师事务所")]
    assert _numbers(page) == [c.business_number for c in notice] and page["total"] == 3
    assert page["columns"] == ["主任", "有效期至"]
    assert page["rows"][0] == {"number": notice[0].business_number, "title": "甲律师事务所",
                               "fields": ["李明", ""]}
    shown = repr(page)
    for private in ("13900000001", "内部意见", "初审", "丁律师事务所", "applicant_phone"):
        assert private not in shown
    assert all(set(row) == {"number", "title", "fields"} for row in page["rows"])      # no case id
    assert public_lists.public_list(session, "listed", "register")["rows"] == []


def test_a_list_is_paged(session, listed):
    first = public_lists.public_list(session, "listed", "notice", page=1, per_page=2)
    second = public_lists.public_list(session, "listed", "notice", page=2, per_page=2)
    beyond = public_lists.public_list(session, "listed", "notice", page=9, per_page=2)
    assert (first["pages"], len(first["rows"]), len(second["rows"])) == (2, 2, 1)
    assert _numbers(beyond) == _numbers(second) and beyond["page"] == 2
    assert set(_numbers(first)).isdisjoint(_numbers(second))


def test_a_case_leaving_the_stage_leaves_the_list_and_enters_the_register(session, engine, listed):
    named = listed["甲律师事务所"]
    cases.complete_task(engine, session, only_ready(session, named.id).id, {})
    roundtrip(engine, session, named.id)
    assert named.business_number not in _numbers(public_lists.public_list(session, "listed", "notice"))
    register = public_lists.public_list(session, "listed", "register")
    assert register["rows"] == [{"number": named.business_number, "title": "甲律师事务所",
                                 "fields": ["李明", "2027-10-12"]}]


def test_an_objection_reaches_the_waiting_case_and_opens_its_check(session, engine, listed):
    case = listed["乙律师事务所"]
    receipt = public_lists.send_public_message(engine, session, "listed", "notice", case.business_number, "异议",
                                               {**OBJECTION, "text": "  " + OBJECTION["text"] + " ", "case_id": 1})
    roundtrip(engine, session, case.id)
    check = only_ready(session, case.id)
    assert check.name == "异议核查"
    data = casework.case_data(engine, session, session.get(type(case), case.id))
    assert data["objection"] == {**OBJECTION, "submitted_at": receipt["submitted_at"],
                                 "reference": receipt["reference"]}
    assert receipt["submitted_at"].startswith(engine.now().date().isoformat()) and len(receipt["reference"]) == 10
    event = session.query(AuditEvent).filter_by(case_id=case.id, action="message_received").one()
    assert event.actor == "public" and event.detail["message"] == "异议"


def test_an_objection_is_refused_for_a_case_not_in_the_list_or_not_waiting(session, engine, listed):
    send = lambda number, message="异议", **payload: public_lists.send_public_message(  # noqa: E731
        engine, session, "listed", "notice", number, message, {**OBJECTION, **payload})
    with raises_zh(NotFound, "名单中没有编号为 .* 的案件"):
        send(listed["丁律师事务所"].business_number)          # at 初审: not on the notice
    with raises_zh(NotFound, "名单中没有编号为 nope 的案件"):
        send("nope")
    with raises_zh(NotAllowed, "不接受「撤回」"):
        send(listed["甲律师事务所"].business_number, "撤回")
    with pytest.raises(NotAllowed):
        public_lists.send_public_message(engine, session, "listed", "register", listed["甲律师事务所"].business_number,
                                         "异议", OBJECTION)
    waiting = listed["甲律师事务所"]
    send(waiting.business_number)                               # now under check: the notice is interrupted
    with raises_zh(InvalidState, f"案件 {waiting.business_number} 当前不受理「异议」"):
        send(waiting.business_number)
    assert only_ready(session, waiting.id).name == "异议核查" and session.query(AuditEvent).filter_by(
        case_id=waiting.id, action="message_received").count() == 1


def test_an_empty_or_overlong_objection_names_its_field_and_saves_nothing(session, engine, listed):
    case = listed["丙律师事务所"]
    with pytest.raises(DataValidationError) as empty:
        public_lists.send_public_message(engine, session, "listed", "notice", case.business_number, "异议",
                                         {**OBJECTION, "text": "   "})
    assert [(e.field, zh(e)) for e in empty.value.errors] == [("text", "请填写内容")]
    with pytest.raises(DataValidationError) as long:
        public_lists.send_public_message(engine, session, "listed", "notice", case.business_number, "异议",
                                         {"name": "名" * 101, "text": "字" * 2001})
    assert [(e.field, zh(e)) for e in long.value.errors] == [("name", "不能超过 100 个字符"),
                                                            ("text", "不能超过 2000 个字符")]
    assert only_ready(session, case.id).name == "公示期满确认"
    assert session.query(AuditEvent).filter_by(case_id=case.id, action="message_received").count() == 0


def test_a_diagram_failing_on_an_objection_tells_the_public_only_that_it_was_not_received(session, engine, listed):
    case = listed["丙律师事务所"]
    with raises_zh(CaseFailed, f"^案件 {case.business_number} 暂时无法受理您的意见，请稍后再试$") as failed:
        public_lists.send_public_message(engine, session, "listed", "notice", case.business_number, "异议",
                                         {**OBJECTION, "text": "让流程出错"})
    assert "Script_count" not in repr(failed.value.to_dict()) and "Division" not in repr(failed.value.to_dict())
    session.expire_all()
    assert session.get(type(case), case.id).status == "error"         # staff see why on the case


def test_an_undeclared_list_is_not_found(session, listed):
    with raises_zh(NotFound, "公开名单 listed/secret 不存在"):
        public_lists.public_list(session, "listed", "secret")
    with raises_zh(NotFound, "公开名单 nothing/notice 不存在"):
        public_lists.public_list(session, "nothing", "notice")


@pytest.mark.parametrize("changes, expected", [
    ({"publicLists": "notice=stage:公示", "publicMessages": None}, "publicLists 的条目「notice=stage:公示」应写作"),
    ({"publicLists": "名单=stage=公示中:公示", "publicMessages": None}, "publicLists 的条目「名单=stage=公示中:公示」应写作"),
    ({"publicLists": "notice=stage=公示中", "publicMessages": None}, "publicLists 的条目「notice=stage=公示中」应写作"),
    ({"publicLists": "notice=stage=公示中:甲,notice=stage=已命名:乙", "publicMessages": None}, "公开名单 notice 重复声明"),
    ({"publicLists": "notice=phase=公示中:公示"}, "公开名单 notice：字段 phase 未列入 reportableFields"),
    ({"publicFields": "director,private_note"}, "以下字段未列入 reportableFields：private_note"),
    ({"publicMessages": "异议:提出异议"}, "publicMessages 的条目「异议:提出异议」应写作"),
    ({"publicMessages": "异议=objections:提出异议"}, "公开消息 异议：名单 objections 未在 publicLists 中声明"),
    ({"publicMessages": "投诉=notice:投诉"}, "公开消息 投诉：流程中没有接收该消息的环节"),
    ({"publicMessages": "异议=notice:甲,异议=notice:乙"}, "公开消息 异议 对名单 notice 重复声明"),
    ({"businessNumberPattern": None}, "接受公众消息的流程须设置 businessNumberPattern"),
])
def test_deploy_refuses_malformed_public_declarations_at_their_line(session, engine, org_tree, changes, expected):
    files = listed_files(properties=changes)
    with pytest.raises(BundleInvalid) as refused:
        bundles.deploy(session, files, engine=engine)
    found = [p for p in refused.value.problems if p.file == "processes/test/listed.bpmn"]
    assert len(found) == 1 and expected in zh(found[0]), [zh(p) for p in found]
    name = next(iter(changes)) if next(iter(changes)) != "businessNumberPattern" else "publicMessages"
    line = next(i for i, text in enumerate(files["processes/test/listed.bpmn"].decode().splitlines(), 1)
                if f'name="{name}"' in text)
    assert (found[0].element, found[0].line) == ("listed", line)


def test_the_shipped_processes_and_the_listed_process_deploy(session, engine, org_tree):
    bundle = deploy_listed(session, engine)
    assert bundle.version == 1


def test_a_list_of_its_own_fields_is_checked_at_deploy():
    from engine.definitions.public_declarations import check_public_declarations, public_list_fields

    properties = {"reportableFields": "stage,firm_name,band", "publicLists": "named=stage=已命名:名录",
                  "publicListFields": "named=firm_name:律所|band, ghost=firm_name, named2=secret"}
    assert public_list_fields(properties)["named"] == [("firm_name", "律所"), ("band", "")]
    problems = []
    check_public_declarations("p.bpmn", "p", _node(), properties, set(), problems)
    assert [(p.msg.code, p.msg.params.get("list") or p.msg.params.get("fields")) for p in problems] == [
        ("validation.public_list_fields_list", "ghost"), ("validation.public_list_fields_list", "named2"),
        ("validation.public_fields_reportable", "secret")]


def _node():
    from lxml import etree

    return etree.fromstring('<process xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="p"/>')
