"""Ledger files for tests: the shipped case ledger's headers, rows of fictional closed cases, csv and xlsx bytes."""
from __future__ import annotations

import csv
import io
from datetime import date

from openpyxl import Workbook

from engine.core import people

LEDGER = "legal_aid_cases"
HEADERS = ["法律援助机构", "案号", "案件类型", "申请日期", "决定日期", "指派日期", "委托协议签订日期", "结案日期",
           "承办律师", "律师执业证号", "律师事务所", "律师事务所编号", "受援人", "受援人联系电话", "办理结果", "回访日期",
           "满意度"]


def case_row(number: str, org: str = "county-a", applied="2025-03-03", decided="2025-03-07", assigned="2025-03-10",
             agreement="2025-03-12", closed="2025-06-30", visited="2025-07-05", **changes) -> list:
    """One row in HEADERS order (dates as ISO text); `changes` replace cells by header."""
    row = dict(zip(HEADERS, [org, number, "民事", applied, decided, assigned, agreement, closed, "王律师",
                             "13101200000001", "示范律师事务所", "F-0001", "李某", "13800000000", "调解结案", visited,
                             "满意"]))
    row.update(changes)
    return [row[h] for h in HEADERS]


def csv_bytes(rows: list[list], headers: list[str] = HEADERS, bom: bool = True) -> bytes:
    """A csv file (UTF-8, with a BOM as Excel writes it) of a header and rows."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode()


def xlsx_bytes(rows: list[list], headers: list[str] = HEADERS) -> bytes:
    """A workbook of a header and rows; ISO dates become Excel date cells."""
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append([date.fromisoformat(v) if isinstance(v, str) and len(v) == 10 and v[4] == "-" else v
                      for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ledger_people(session) -> None:
    """The organiser role, an organiser at the city (sees both counties) and one in county A only."""
    people.add_role(session, "legal_aid_organizer", "法律援助组织人员")
    people.add_user(session, "organizer", "市中心组织人", "city", ["legal_aid_organizer"])
    people.add_user(session, "a_organizer", "A区组织人", "county-a", ["legal_aid_organizer"])
    session.commit()
