"""The law-firm acceptance procedure as shipped: it deploys with its forms and templates, every time limit names
its basis (a source of the domain report's register by its exact title, or 本地设定), complaints record the
respondent's firm, and a firm's account sees its own cases only."""
from __future__ import annotations

import json
import re
from datetime import datetime

import pytest
import time_machine
from lxml import etree
from sqlalchemy import select

from engine.core.models import Case, ProcessDefinition
from engine.definitions import bundles
from engine.runtime import cases
from engine.time.workdays import CHINA_TZ
from web.database import session as db_session

from .complaint_steps import register
from .conftest import ROOT
from .test_complaint_sanctions import sanctions_setup  # noqa: F401 - a fixture
from .web_helpers import login

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
# The titles of /work/shared/domain/procedures.md §1 (the source register) that the procedure may cite, exactly.
REGISTER_TITLES = {
    "《中华人民共和国律师法》", "《律师执业管理办法》", "《律师和律师事务所违法行为处罚办法》",
    "《关于县级司法行政机关加强律师日常监督管理工作的意见》", "《中华人民共和国行政处罚法》",
    "《全国优秀律师事务所评定标准》", "《信阳市律师事务所星级评定办法(试行)》", "《合川区律师事务所星级评定办法(讨论稿)》",
    "《关于加强律师事务所管理的规定》",
}
LOCAL = "本地设定"
DIAGRAMS = sorted((ROOT / "processes" / "law_firm").glob("*.bpmn"))
FORMS = sorted((ROOT / "forms" / "law_firm").glob("*.schema.json"))
TEMPLATES = ("application_form", "review_opinion", "score_sheet", "rectification_notice", "recheck_opinion",
             "publicity_notice", "naming_decision", "certificate", "revocation_decision")


def _documentation(path) -> list[tuple[str, str, str]]:
    """(element id, element kind, documentation) of every documented element of a diagram."""
    tree = etree.parse(str(path))
    return [(doc.getparent().get("id"), etree.QName(doc.getparent()).localname, doc.text or "")
            for doc in tree.iter(f"{BPMN}documentation")]


def _form_texts(path) -> list[str]:
    """Every title and description of a form, nested ones included."""
    found, stack = [], [json.loads(path.read_text(encoding="utf-8"))]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            found += [node[k] for k in ("title", "description") if isinstance(node.get(k), str)]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def test_the_procedure_deploys_with_its_forms_and_templates(session, engine, org_tree):
    result = bundles.deploy(session, bundles.collect(ROOT), engine=engine)
    # org_tree's catalogue holds three roles: the procedure's others are warned of (系统管理 · 角色), nothing else
    assert [w for w in result.warnings if w.msg.code != "validation.role_unregistered"] == []
    keys = set(session.scalars(select(ProcessDefinition.process_key).where(ProcessDefinition.bundle_id == result.bundle.id)))
    assert {"law_firm_campaign", "law_firm_application"} <= keys
    files = bundles.collect(ROOT)
    assert all(f"forms/law_firm/{name}.docx" in files for name in TEMPLATES)
    diagram = (ROOT / "processes/law_firm/law_firm_application.bpmn").read_text(encoding="utf-8")
    assert all(f"law_firm/{name}.docx" in diagram for name in TEMPLATES)


def test_every_cited_title_is_in_the_source_register():
    cited = {(path.name, title) for path in DIAGRAMS for _, _, text in _documentation(path)
             for title in re.findall(r"《[^》]+》", text)}
    cited |= {(path.name, title) for path in FORMS for text in _form_texts(path)
              for title in re.findall(r"《[^》]+》", text)}
    assert cited, "the procedure cites no source at all"
    assert sorted((where, title) for where, title in cited if title not in REGISTER_TITLES) == []


def test_every_time_limit_names_its_basis():
    """Each timer, each task with a due time and each step that sets a limit says where the limit comes from."""
    unfounded, timers = [], 0
    for path in DIAGRAMS:
        tree = etree.parse(str(path))
        documented = {element_id: text for element_id, _, text in _documentation(path)}
        limited = [t.getparent().getparent() for t in tree.iter(f"{BPMN}timeDate")]
        timers += len(limited)
        limited += [task for task in tree.iter(f"{BPMN}userTask")
                    if task.find(".//*[@name='dueExpression']") is not None]
        limited += [step for step in tree.iter(f"{BPMN}scriptTask")
                    if re.search(r"add_(working_|calendar_)?days", step.findtext(f"{BPMN}script") or "")]
        for element in limited:
            text = documented.get(element.get("id"), "")
            if LOCAL not in text and not any(title in text for title in REGISTER_TITLES):
                unfounded.append((path.name, element.get("id")))
    assert timers >= 10
    assert unfounded == []


def test_rectification_limit_cites_the_county_supervision_opinion():
    docs = {element_id: text for element_id, _, text in
            _documentation(ROOT / "processes/law_firm/law_firm_application.bpmn")}
    # the opinion quoted in its own words; the period the diagram counts is the table's row
    assert "限期整改一般为一个月" in docs["Script_rectify"] and "{limit:rectification.text}" in docs["Script_rectify"]
    assert "《关于县级司法行政机关加强律师日常监督管理工作的意见》" in docs["Script_rectify"]
    assert "本地设定" in docs["Timer_publicity_over"]


def test_a_complaint_records_the_respondents_firm(engine, session, complaint_setup):
    from engine.records import directory

    directory.add_entry(session, "respondent", "L-0002", "赵某某律师", org_code="county-a",
                        data={"type": "lawyer", "firm": "F-0001"})
    session.commit()
    by_lawyer = register(engine, session, respondent_id="L-0002")
    by_firm = register(engine, session, respondent_id="F-0001")
    assert by_lawyer.meta["respondent_firm"] == "F-0001"
    assert by_firm.meta["respondent_firm"] == "F-0001"


def _case_in(app, org: str) -> int:
    """A sample case started in an organisation of the demo tree."""
    with app.app_context():
        from web.workflow import engine as web_engine

        return cases.start_case(web_engine(), db_session(), "sample_review", {}, org_code=org, actor="admin").id


def test_a_firm_account_sees_its_own_cases_only(app, client):
    own, other_firm, county = _case_in(app, "F-0001"), _case_in(app, "F-0004"), _case_in(app, "county-a")
    login(client, "mingde")
    assert client.get(f"/cases/{own}").status_code == 200
    assert client.get(f"/cases/{other_firm}").status_code == 404       # a sibling firm under the same county
    assert client.get(f"/cases/{county}").status_code == 404           # its county bureau's own cases
    listed = client.get("/cases").get_data(as_text=True)
    with app.app_context():
        numbers = {c.id: c.business_number for c in db_session().scalars(select(Case))}
    assert numbers[own] in listed and numbers[other_firm] not in listed and numbers[county] not in listed
    login(client, "zhang")                                            # the county bureau sees its firms' cases
    assert client.get(f"/cases/{own}").status_code == 200
    login(client, "wang")                                             # another county does not
    assert client.get(f"/cases/{own}").status_code == 404


@pytest.fixture
def in_the_window():
    """The clock on Monday 2025-10-13, inside the test campaign's application window, ticking."""
    with time_machine.travel(datetime(2025, 10, 13, 9, 0, tzinfo=CHINA_TZ), tick=True):
        yield


# A self-assessment the server scores in full whether or not it computes totals itself (it ignores these).
FULL_SHEET = {"items": {}, "total": 100, "band": "exemplary", "band_label": "规范化（示范）", "veto": False,
              "veto_items": [], "passed": True}


def _reloaded(session, case_id: int) -> Case:
    """The case as stored now (the runner writes case rows with plain SQL)."""
    session.commit()
    session.expire_all()
    return cases.get_case(session, case_id)


def _as_system(engine, session, case_id, name, data) -> None:
    from .helpers import ready, roundtrip

    task = next(t for t in ready(session, case_id) if t.name == name)
    cases.complete_task(engine, session, task.id, data)
    roundtrip(engine, session, case_id)


def test_the_county_returns_an_application_once_and_the_drawn_inspectors_get_the_inspection(
        engine, session, complaint_setup, in_the_window):
    from .helpers import ready
    from .law_firm_steps import APPLICATION, REVIEW, add_law_firm_people, participant

    add_law_firm_people(session)
    case = cases.start_case(engine, session, "law_firm_application", participant("F-0001"), org_code="F-0001")
    _as_system(engine, session, case.id, "申报", {**APPLICATION, "self_score": FULL_SHEET})
    again = {**REVIEW, "review_conclusion": "supplement", "supplement_items": "合伙人会议记录"}
    _as_system(engine, session, case.id, "初审", again)
    assert [t.name for t in ready(session, case.id)] == ["补正材料"]
    _as_system(engine, session, case.id, "补正材料", {"supplement_note": "已补充 2025 年合伙人会议记录"})
    _as_system(engine, session, case.id, "初审", again)                 # a second return is not possible
    assert [t.name for t in ready(session, case.id)] == ["初审"]
    assert _reloaded(session, case.id).meta["stage"] == "待初审"
    _as_system(engine, session, case.id, "初审", REVIEW)
    assert _reloaded(session, case.id).meta["stage"] == "待实地检查"
    assert cases.waiting_messages(engine, session, case.id) == ["实地检查安排"]
    cases.send_message(engine, session, case.id, "实地检查安排", {"inspectors": ["wei", "pan"], "draw_id": 7})
    session.commit()
    task = ready(session, case.id)[0]
    assert task.name == "实地检查评分" and sorted(task.candidate_users) == ["pan", "wei"]


def test_the_application_window_closing_ends_an_unfiled_application(engine, session, complaint_setup, in_the_window):
    from .law_firm_steps import add_law_firm_people, participant

    add_law_firm_people(session)
    case = cases.start_case(engine, session, "law_firm_application", participant("F-0002"), org_code="F-0002")
    cases.send_message(engine, session, case.id, "申报截止", {"closed_at": "2025-10-25T00:00:00+08:00"})
    case = _reloaded(session, case.id)
    assert case.status == "completed" and case.meta["stage"] == "未申报"


def test_a_firm_barred_for_fraud_may_not_apply_in_the_next_cycle(engine, session, complaint_setup, in_the_window):
    from .helpers import ready
    from .law_firm_steps import add_law_firm_people, participant

    add_law_firm_people(session)
    earlier = cases.start_case(engine, session, "law_firm_application",
                               participant("F-0001", barred_through="2026"), org_code="F-0001")
    assert [t.name for t in ready(session, earlier.id)] == ["申报"]         # the bar applies to later cycles
    barred = cases.start_case(engine, session, "law_firm_application", participant("F-0001", year=2026),
                              org_code="F-0001")
    barred = _reloaded(session, barred.id)
    assert barred.status == "completed" and barred.meta["stage"] == "未通过"
    free = cases.start_case(engine, session, "law_firm_application", participant("F-0001", year=2027),
                            org_code="F-0001")
    assert [t.name for t in ready(session, free.id)] == ["申报"]
    other = cases.start_case(engine, session, "law_firm_application", participant("F-0002", year=2026),
                             org_code="F-0002")
    assert [t.name for t in ready(session, other.id)] == ["申报"]


def test_a_penalty_on_a_firms_lawyer_is_reported_to_the_firms_application(engine, session, sanctions_setup):
    from engine.core.models import AuditEvent

    from .complaint_steps import at
    from .helpers import ready
    from .law_firm_steps import add_law_firm_people, penalised

    from engine.core.case_records import CaseMessage
    from engine.runtime import cases

    from .law_firm_steps import participant

    add_law_firm_people(session)
    with time_machine.travel(at("2025-11-17T09:00"), tick=True) as clock:
        firm = cases.start_case(engine, session, "law_firm_application", participant("F-0001"), org_code="F-0001")
        other = cases.start_case(engine, session, "law_firm_application", participant("F-0002"), org_code="F-0002")
        complaint = penalised(engine, session, clock, "L-0009")
    assert complaint.meta["respondent_firm"] == "F-0001" and complaint.meta["penalty_decision"] == "penalise"
    assert [t.name for t in ready(session, complaint.id)] == ["接收处理结果"]
    sent = session.scalars(select(CaseMessage).where(CaseMessage.sender_case_id == complaint.id)).all()
    assert [(m.name, m.target_case_id) for m in sent] == [("执业处分通报", firm.id)]     # the lawyer's firm only
    assert other.id not in [m.target_case_id for m in sent]


def test_an_invitation_late_in_the_window_is_reminded_at_once_and_keeps_its_fields(engine, session,
                                                                                  complaint_setup):
    from engine.core.models import User
    from engine.core.case_records import Notification
    from .complaint_steps import at
    from .law_firm_steps import add_law_firm_people, participant

    add_law_firm_people(session)
    with time_machine.travel(at("2025-10-23T09:00"), tick=True):      # the window ends with Friday 10-24
        case = cases.start_case(engine, session, "law_firm_application", participant("F-0001"), org_code="F-0001")
        case = _reloaded(session, case.id)
    assert case.meta["stage"] == "待申报" and case.title.startswith("示范明德律师事务所")
    assert case.next_timer_at is None
    reminded = session.scalars(select(Notification).where(Notification.case_id == case.id)).all()
    assert [n.title for n in reminded] == ["申报临期提醒：示范明德律师事务所"]
    assert reminded[0].body == "距规范化律师事务所申报截止还有3个工作日。"       # the row apply_remind
    assert session.get(User, reminded[0].user_id).username == "mingde"      # the firm's director
