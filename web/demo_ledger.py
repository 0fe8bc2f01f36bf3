"""The demo's legal-aid case ledger: a few hundred fictional closed cases of the demo institutions, made by a
seeded generator (the same rows on every load, relative to the load's day) and imported through the engine's own
import, as the centre's organiser would upload them.

The audit walk's self-assessments (web/demo_data.json, sheets self93 and self86) deduct for what these rows hold
in the assessment period (day-485 … day-121): LA-a one decision past the 7 days; LA-b three assignments past the
3 days and 10 of 60 cases not visited (two steps of 10%). LA-c and LA-city, not yet self-assessed, have late
steps of each kind, so their sheets open with findings; LA-union keeps no ledger.
"""
from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta

from engine.core import people
from engine.records import ledger_import

LEDGER = "legal_aid_cases"
HEADERS = ["法律援助机构", "案号", "案件类型", "申请日期", "决定日期", "指派日期", "委托协议签订日期", "结案日期", "承办律师",
           "律师执业证号", "律师事务所", "律师事务所编号", "受援人", "受援人联系电话", "办理结果", "回访日期", "满意度"]
# institution: (prefix of its case numbers, cases in the period, late decisions, late assignments, late agreements,
# not visited, cases closed after the period)
PLAN = {"LA-a": ("东援", 90, 1, 0, 0, 0, 12), "LA-b": ("西援", 60, 0, 3, 0, 10, 10),
        "LA-c": ("南援", 70, 2, 1, 2, 5, 8), "LA-city": ("市援", 80, 1, 0, 1, 4, 10)}
LAWYERS = [("吴某某", "13110200000001", "F-0001", "示范明德律师事务所"),
           ("郑某某", "13110200000002", "F-0001", "示范明德律师事务所"),
           ("冯某某", "13110200000003", "F-0002", "示范正言律师事务所"),
           ("褚某某", "13110200000004", "F-0003", "示范南湖律师事务所"),
           ("卫某某", "13110200000011", "F-0004", "示范信达律师事务所"),
           ("蒋某某", "13110200000012", "F-0005", "示范公诚律师事务所"),
           ("沈某某", "13110200000013", "F-0006", "示范西岭律师事务所"),
           ("韩某某", "13110200000014", "F-0007", "示范湖滨律师事务所"),
           ("杨某某", "13110200000015", "F-0008", "示范衡平律师事务所")]
OUTCOMES = {"刑事": ["判决采纳部分辩护意见", "检察机关作出不起诉决定", "判决从轻处罚"],
            "民事": ["调解结案", "判决支持诉讼请求", "达成和解"], "行政": ["行政机关撤销原决定", "判决驳回诉讼请求"]}


def ledger_csv(today: date) -> bytes:
    """The demo ledger as a UTF-8 CSV with the ledger's headers, the same for the same day."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for code, plan in PLAN.items():
        writer.writerows(_rows(code, plan, today, random.Random(f"{code}-ledger")))
    return out.getvalue().encode("utf-8")


def _rows(code: str, plan: tuple, today: date, rng: random.Random) -> list[list[str]]:
    prefix, in_period, late_decisions, late_assignments, late_agreements, not_visited, after = plan
    rows = []
    for n in range(in_period + after):
        inside = n < in_period
        closed = today - timedelta(days=rng.randint(130, 480) if inside else rng.randint(10, 110))
        late = {"decision": inside and n < late_decisions,
                "assignment": inside and late_decisions <= n < late_decisions + late_assignments,
                "agreement": inside and n >= in_period - late_agreements,
                "visit": inside and in_period // 2 <= n < in_period // 2 + not_visited}
        rows.append(_row(code, f"（{closed.year}）{prefix}字第{n + 1:03d}号", closed, late, rng))
    return rows


def _row(code: str, number: str, closed: date, late: dict, rng: random.Random) -> list[str]:
    agreement = closed - timedelta(days=rng.randint(20, 120))
    assigned = agreement - timedelta(days=rng.randint(7, 9) if late["agreement"] else rng.randint(1, 5))
    decided = assigned - timedelta(days=rng.randint(5, 6) if late["assignment"] else rng.randint(0, 3))
    applied = decided - timedelta(days=rng.randint(9, 12) if late["decision"] else rng.randint(1, 6))
    kind = rng.choice(["民事", "民事", "刑事", "行政"])
    name, licence, firm, firm_name = rng.choice(LAWYERS)
    visited = "" if late["visit"] else (closed + timedelta(days=rng.randint(3, 20))).isoformat()
    satisfaction = "" if not visited else rng.choice(["满意"] * 8 + ["基本满意", "不满意"])
    return [code, number, kind, applied.isoformat(), decided.isoformat(), assigned.isoformat(), agreement.isoformat(),
            closed.isoformat(), name, licence, firm_name, firm, f"受援人{rng.randint(100, 999)}",
            f"138{rng.randint(10000000, 99999999)}", rng.choice(OUTCOMES[kind]), visited, satisfaction]


def import_demo_ledger(engine, session, today: date, actor: str = "fang") -> int:
    """Import the demo ledger as the centre's organiser; answer the rows added."""
    done = ledger_import.import_file(session, engine, people.user_by_name(session, actor), LEDGER, "演示台账.csv",
                       io.BytesIO(ledger_csv(today)))
    session.commit()
    return done.rows_added
