"""The case CSV read in batches (issue 23): the same bytes as row by row, and a few queries a batch, none a row."""
from __future__ import annotations

from sqlalchemy import event, select

from engine.core.models import Case
from engine.work import worklists
from web import pages
from web.database import session as db_session

from .web_helpers import csrf, login

# The complaints of 东城 as chen exports them, after sun (分管副局长) took 〔2025〕投诉第0001号 over: choice labels,
# directory keys by name, a phone number masked, a flag as 是/否, and the leader's field as the person.
EXPECTED = [
    "编号,标题,流程,办理机构,状态,创建时间,更新时间,投诉来源,投诉人识别号（证件号或电话）,信访人,所涉律师或律师事务所,被投诉人,"
    "此前同类投诉次数,初审意见,受理审查决定,转办次数,转办耗用天数,重大投诉,被投诉律师事务所,被投诉人类别,事项标识,此前同一事项投诉次数,"
    "投诉或举报,被投诉人身份,政法单位移送,包案领导",
    "〔2025〕投诉第0004号,陈某等 6 人投诉郑某某律师（示范明德律师事务所）,律师执业投诉处理,东城区司法局,办理中,2025-10-13 09:00,"
    "2025-10-13 09:00,上级交办,1370***0003,陈某等 6 人,郑某某律师（示范明德律师事务所）,郑某某律师（示范明德律师事务所）,0,建议受理,"
    "受理,0,0,是,示范明德律师事务所,律师,郑某某律师（示范明德律师事务所）｜｜依法严肃查处,0,投诉,律师,否,",
    "〔2025〕投诉第0002号,杨某投诉示范明德律师事务所,律师执业投诉处理,东城区司法局,办理中,2025-10-13 09:00,2025-10-13 09:00,来访,"
    "1390***0002,杨某,示范明德律师事务所,示范明德律师事务所,0,退回补正（仅一次）,,0,0,,示范明德律师事务所,律师事务所,"
    "示范明德律师事务所｜｜责令律师事务所规范收费,0,投诉,律师事务所,否,",
    "〔2025〕投诉第0001号,刘某投诉吴某某律师（示范明德律师事务所）,律师执业投诉处理,东城区司法局,办理中,2025-10-13 09:00,"
    "2025-10-13 09:00,12345 热线工单,1380***0001,刘某,吴某某律师（示范明德律师事务所）,吴某某律师（示范明德律师事务所）,0,,,0,0,,"
    "示范明德律师事务所,律师,吴某某律师（示范明德律师事务所）｜｜查处律师违规行为并退还代理费,0,投诉,律师,否,孙伟（东城分管副局长）",
]


def _taken_over_by_sun(app, client) -> None:
    with app.app_context():
        case_id = db_session().scalar(select(Case.id).where(Case.business_number == "〔2025〕投诉第0001号"))
    login(client, "sun")
    taken = client.post(f"/cases/{case_id}/actions/leader_takeover",
                        data={"csrf_token": csrf(client, f"/cases/{case_id}"), "note": "本人包案"})
    assert taken.status_code == 302


def test_a_few_complaints_export_as_the_expected_rows_whatever_the_batch(app, client, monkeypatch):
    _taken_over_by_sun(app, client)
    login(client, "chen")
    expected = "\ufeff" + "".join(line + "\r\n" for line in EXPECTED)
    assert client.get("/cases.csv?process=lawyer_complaint").get_data().decode("utf-8") == expected
    real = worklists.all_cases
    monkeypatch.setattr(worklists, "all_cases", lambda *a, **kw: real(*a, **{**kw, "chunk": 2}))
    monkeypatch.setattr(pages, "EXPORT_BATCH", 2)       # a batch ends inside the export: the rows stay the same
    exported = client.get("/cases.csv?process=lawyer_complaint")
    assert exported.is_streamed and exported.get_data().decode("utf-8") == expected


def test_the_export_reads_names_and_people_once_a_batch_not_once_a_row(app, client):
    _taken_over_by_sun(app, client)
    login(client, "admin")
    seen: list[str] = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731 - the statement
    sql_engine = app.extensions["lawflow.sql"]
    event.listen(sql_engine, "before_cursor_execute", listener)
    try:
        rows = client.get("/cases.csv?process=lawyer_complaint").get_data().decode("utf-8").splitlines()[1:]
    finally:
        event.remove(sql_engine, "before_cursor_execute", listener)
    assert len(rows) == 5 and any("孙伟" in row for row in rows)
    directory = [s for s in seen if "FROM directory_entry" in s]
    people = [s for s in seen if s.startswith("SELECT user_account.username, user_account.display_name")]
    assert len(directory) == 1 and len(people) == 1     # one batch: one query per directory kind, one for people
