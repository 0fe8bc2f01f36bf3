"""Issue 21, point 7: the basis beside a deadline comes from the limits table's row. Every user task with a due time
names its row with `timeLimit`, so the task page shows the row's label, value and legal basis."""
from __future__ import annotations

import re
from datetime import datetime

import time_machine
from lxml import etree

from engine.definitions import bundles, limit_tables
from engine.runtime import cases
from engine.time.workdays import CHINA_TZ
from engine.work import casework

from .conftest import ROOT
from .law_firm_steps import add_law_firm_people
from .test_limit_tables_law_firm import applied, published, row as table_row


def _files() -> dict[str, bytes]:
    return bundles.collect(ROOT)


def _rows(files: dict[str, bytes], path: str) -> dict[str, dict]:
    return limit_tables.rows_beside(files, path)


# The basis beside a deadline comes from the row (issue 21, point 7): a step with a due time names its row with
# `timeLimit`, so the task page shows the row's label, value and legal basis (#step-limit). A step whose due time
# follows no row of the table goes here, with the reason.
NO_ROW: dict[tuple[str, str], str] = {}


def _properties(node) -> dict[str, str]:
    return {p.get("name"): p.get("value") or "" for p in node.iter()
            if isinstance(p.tag, str) and etree.QName(p).localname == "property"}


def _steps_with_a_due_time(files: dict[str, bytes]):
    """(path, task id, its timeLimit) of each user task with a dueExpression or a deadline timer."""
    for path in sorted(p for p in files if p.startswith("processes/") and p.endswith(".bpmn")):
        nodes = [n for n in etree.fromstring(files[path]).iter() if isinstance(n.tag, str)]
        deadlines = {n.get("attachedToRef") for n in nodes if etree.QName(n).localname == "boundaryEvent"
                     and _properties(n).get("deadline") == "true"}
        for node in nodes:
            if etree.QName(node).localname == "userTask":
                properties = _properties(node)
                if properties.get("dueExpression", "").strip() or node.get("id") in deadlines:
                    yield path, node.get("id"), properties.get("timeLimit", "").strip()


def _counted_rows(files: dict[str, bytes], table: str) -> set[str]:
    """The rows the diagrams beside a table count a moment with (a called process counts from its caller's)."""
    found = set()
    for path in (p for p in files if p.startswith("processes/") and p.endswith(".bpmn")):
        if limit_tables.table_path(path) == table:
            for node in etree.fromstring(files[path]).iter():
                for text in (node.text or "", *node.attrib.values()):
                    found |= set(re.findall(r'limit_(?:due|before|clock|last_day)\("([a-z0-9_]+)"', text))
    return found


def test_every_step_with_a_due_time_names_the_row_it_follows():
    """The rule of point 7: a user task with a dueExpression or a deadline timer names a row of its table with
    `timeLimit` — one the diagrams of its folder count a due time with, not a row only quoted — or sits on NO_ROW
    with the reason."""
    files = _files()
    steps = list(_steps_with_a_due_time(files))
    assert len(steps) > 40
    assert [(path, task) for path, task, row in steps if not row and (path, task) not in NO_ROW] == []
    assert [key for key in NO_ROW if key not in {(path, task) for path, task, _ in steps}] == []
    wrong = []
    for path, task, row in steps:
        table = limit_tables.table_path(path)
        if row and (row not in _rows(files, table) or row not in _counted_rows(files, table)):
            wrong.append((path, task, row))
    assert wrong == []


def test_a_step_without_its_row_is_found():
    files = _files()
    path = "processes/complaint/penalty_procedure.bpmn"
    files[path] = files[path].decode().replace('<spiffworkflow:property name="timeLimit" value="statement" />', "",
                                                1).encode()
    assert [(p, task) for p, task, row in _steps_with_a_due_time(files) if not row] == [(path, "Task_statement")]


def test_a_law_firm_step_shows_its_rows_basis_and_follows_a_changed_row(engine, session, complaint_setup):
    """初审 (Task_review) counts from the county's window, review_window: the handler sees that row's label and
    basis beside the deadline, and a published change of the basis reaches a new case while the old keeps its own."""
    add_law_firm_people(session)
    with time_machine.travel(datetime(2025, 10, 13, 9, 0, tzinfo=CHINA_TZ), tick=False):
        before = applied(engine, session, "F-0001")
        shown = casework.step_limits(engine, session, cases.get_case(session, before.id))["Task_review"]
        assert (shown["name"], shown["label"]) == ("review_window", "县级司法局初审窗口届满")
        assert "《关于县级司法行政机关加强律师日常监督管理工作的意见》" in shown["basis"]
        published(engine, session, lambda table: table_row(table, "review_window").update(basis="本地设定（部署通知另定）"))
        after = applied(engine, session, "F-0002")
        assert casework.step_limits(engine, session, cases.get_case(session, after.id))["Task_review"]["basis"] == \
            "本地设定（部署通知另定）"
        assert "意见》" in casework.step_limits(engine, session, cases.get_case(session, before.id))["Task_review"][
            "basis"]
