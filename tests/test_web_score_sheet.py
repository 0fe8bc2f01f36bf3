"""Score sheets through the pages: drawn from the case's standard, posted and given back, errors beside their items,
the earlier sheet beside the later one, and the printable view."""
from __future__ import annotations

import io
import re

from web.database import session as db_session
from web.workflow import engine as web_engine
from engine.core import Case
from engine.work import casework

from .scoring_setup import complete, ready_task, start_scored_case
from .web_helpers import csrf, login


def item_html(html: str, code: str) -> str:
    """The rendered row of one item of the sheet."""
    start = html.rindex("<tr", 0, html.index(f'data-item="{code}"'))
    following = html.find("</tr>", start)
    return html[start:following]


def _number_of(app, case_id: int) -> str:
    with app.app_context():
        return db_session().get(Case, case_id).business_number


def case_value(app, case_id: int, name: str):
    with app.app_context():
        db = db_session()
        return casework.case_data(web_engine(), db, db.get(Case, case_id)).get(name)


def test_the_sheet_shows_every_item_with_its_maximum_rule_inputs_and_the_findings(app, client):
    case_id, _number = start_scored_case(app)
    task_id = ready_task(app, case_id, "自评")
    earlier_id = case_id - 1
    login(client, "zhang")
    html = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "测试评分标准" in html and "满分 20 分" in html
    for code in ("D1.1", "D1.2", "D2.1", "D2.2"):
        assert f'data-item="{code}"' in html
    d12 = item_html(html, "D1.2")
    assert 'data-points="4"' in d12 and "查验材料：会议记录" in d12
    assert "每缺一个季度的记录：每季度扣 1 分，最多扣 4 分" in d12
    assert 'name="self_score.items[D1.2].deductions[__index__].reason"' in d12       # rows added like groups
    assert 'type="file" name="self_score.items[D1.2].evidence"' in d12
    assert "应设未设党支部：扣 4 分" in item_html(html, "D1.1")
    d21 = item_html(html, "D2.1")
    assert 'name="self_score.items[D2.1].score"' in d21 and 'max="7"' in d21
    assert 'name="self_score.vetoes[D2.1].hit"' in d21                              # the item is a veto item
    d22 = item_html(html, "D2.2")          # the auto finding: pre-filled, with a link to the case behind it
    assert f'href="/cases/{earlier_id}"' in d22 and "系统记录发现 1 件" in d22 and 'data-found="1"' in d22
    assert f'value="{_number_of(app, earlier_id)}"' in d22       # the records' deduction, naming the case
    assert re.search(r'<label class="override" hidden>', d22)
    assert 'name="self_score.bonus[B1].points"' in html
    assert 'name="self_score.vetoes[V1].hit"' in html and 'name="self_score.vetoes[V4].grounds"' in html
    assert re.search(r'data-subtotal="D2">10<', html)
    assert re.search(r"data-total>18<", html) and re.search(r"data-band>示范<", html)
    assert "score-sheet.js" in html


def post_sheet(client, task_id: int, fields: list[tuple], files=None, action="complete"):
    data = {"csrf_token": csrf(client, f"/tasks/{task_id}"), "action": action}
    body = list(fields) + list((data.items()))
    form = {}
    for key, value in body:
        form.setdefault(key, []).append(value)
    for key, value in (files or {}).items():
        form[key] = value
    return client.post(f"/tasks/{task_id}", data=form, content_type="multipart/form-data")


SHEET = [("self_score.items[D1.2].deductions[0].reason", "缺第二季度记录"),
         ("self_score.items[D1.2].deductions[0].count", "1"), ("self_score.items[D1.2].note", "抽查"),
         ("self_score.items[D2.1].score", "6"), ("self_score.items[D2.1].reason", "收费未公示"),
         ("self_score.vetoes[D2.1].hit", "false"),
         ("self_score.items[D2.2].deductions[0].reason", "每件查实的投诉"),
         ("self_score.items[D2.2].deductions[0].count", "1"),
         ("self_score.bonus[B1].points", "1"), ("self_score.bonus[B1].reason", "公益服务"),
         ("self_score.vetoes[V1].hit", "false"), ("self_score.vetoes[V4].hit", "false"),
         ("self_score.notes", "自评基本达标")]


def test_a_posted_sheet_with_evidence_is_kept_as_the_fields_nested_value_and_shown_back(app, client):
    case_id, _number = start_scored_case(app)
    task_id = ready_task(app, case_id, "自评")
    login(client, "zhang")
    files = {"self_score.items[D1.2].evidence": (io.BytesIO(b"%PDF-1.4 minutes"), "会议记录.pdf")}
    answer = post_sheet(client, task_id, SHEET, files, action="draft")
    assert answer.status_code == 302
    html = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    d12 = item_html(html, "D1.2")
    assert 'value="缺第二季度记录"' in d12 and "会议记录.pdf" in d12
    assert f'href="/cases/{case_id - 1}"' in item_html(html, "D2.2")     # the draft keeps entries; findings stay
    kept = re.search(r'name="self_score.items\[D1.2\].evidence.keep" value="(\d+)"', d12).group(1)

    answer = post_sheet(client, task_id, SHEET + [("self_score.items[D1.2].evidence.keep", kept)])
    assert answer.status_code == 302, answer.get_data(as_text=True)
    stored = case_value(app, case_id, "self_score")
    assert stored["items"]["D1.2"] == {"deductions": [{"reason": "缺第二季度记录", "count": 1}], "note": "抽查",
                                       "evidence": [int(kept)]}
    assert stored["items"]["D2.1"] == {"score": 6, "reason": "收费未公示"}
    assert stored["bonus"] == {"B1": {"points": 1, "reason": "公益服务"}} and stored["notes"] == "自评基本达标"
    assert "V4" not in stored.get("vetoes", {})
    shown = client.get(f"/tasks/{task_id}").get_data(as_text=True)       # the completed task shows it read-only
    assert "缺第二季度记录 × 1" in item_html(shown, "D1.2") and "会议记录.pdf" in item_html(shown, "D1.2")
    assert 'name="self_score.items[D2.1].score"' not in shown


def test_an_error_of_an_item_is_shown_beside_that_item_and_nothing_is_saved(app, client):
    case_id, _number = start_scored_case(app)
    task_id = ready_task(app, case_id, "自评")
    login(client, "zhang")
    answer = post_sheet(client, task_id, [("self_score.items[D1.2].note", "这条备注超过了十个字的长度限制"),
                                          ("self_score.items[D2.1].score", "6"),
                                          ("self_score.items[D2.1].reason", "收费未公示")])
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'class="field-error item-error"' in item_html(html, "D1.2")
    assert "item-error" not in item_html(html, "D2.1") and 'value="6"' in item_html(html, "D2.1")
    assert ready_task(app, case_id, "自评") == task_id


def scored(scores: dict, **extra) -> dict:
    """A sheet as the engine keeps it once scored (entries consistent with the scores)."""
    subtotals = {"D1": scores["D1.1"] + scores["D1.2"], "D2": scores["D2.1"] + scores["D2.2"]}
    return {"item_scores": scores, "subtotals": subtotals, "bonus_total": 0, "total": sum(subtotals.values()),
            "veto": False, "veto_items": [], **extra}


SELF = {"items": {"D1.2": {"deductions": [{"reason": "缺一季度", "count": 1}]},
                  "D2.2": {"deductions": [{"reason": "每件查实的投诉", "count": 1}]}}}
SELF_SCORED = {**SELF, **scored({"D1.1": 4, "D1.2": 3, "D2.1": 7, "D2.2": 3}, band="standard", band_label="达标",
                                passed=True)}
INSPECTION = {"items": {"D1.2": {"deductions": [{"reason": "缺三季度", "count": 3}]},
                        "D2.2": {"deductions": [{"reason": "每件查实的投诉", "count": 1}]}}, "notes": "现场检查"}
INSPECTION_SCORED = {**INSPECTION, **scored({"D1.1": 4, "D1.2": 1, "D2.1": 7, "D2.2": 3}, band="rectify",
                                            band_label="限期整改", passed=False)}


def test_the_inspection_shows_the_self_assessment_beside_each_item_with_differences_marked(app, client):
    case_id, _number = start_scored_case(app)
    complete(app, case_id, "自评", "zhang", {"self_score": SELF_SCORED})
    task_id = ready_task(app, case_id, "检查评分")
    login(client, "li")
    html = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    heading = re.search(r"data-compare-heading>([^<]*)<", html).group(1)
    assert heading.startswith("自评")          # headed by the title of the sheet it shows, not a generic 前次评分
    d12 = item_html(html, "D1.2")           # the inspection opens untouched: full points beside the self score
    assert 'data-earlier="3"' in d12 and 'class="sheet-item differs"' in d12 and "有差异" in d12
    assert "有差异" not in item_html(html, "D1.1")
    answer = post_sheet(client, task_id, [("inspection_score.items[D1.2].deductions[0].reason", "缺两季度"),
                                          ("inspection_score.items[D1.2].deductions[0].count", "2"),
                                          ("inspection_score.items[D1.2].note", "超过十个字的备注会被拒绝的")])
    d12 = item_html(answer.get_data(as_text=True), "D1.2")
    assert answer.status_code == 422 and 'class="sheet-item differs has-error"' in d12 and "有差异" in d12
    assert re.search(r'class="earlier">3 ', d12) and re.search(r'data-score="D1.2">2<', d12)
    d11 = item_html(answer.get_data(as_text=True), "D1.1")
    assert "differs" not in d11 and 'class="earlier">4<' in d11


def test_a_completed_sheet_prints_with_the_case_every_item_totals_band_scorer_and_date(app, client):
    case_id, number = start_scored_case(app)
    complete(app, case_id, "自评", "zhang", {"self_score": SELF_SCORED})
    complete(app, case_id, "检查评分", "li", {"inspection_score": INSPECTION_SCORED})
    login(client, "li")
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    link = f"/cases/{case_id}/sheets/inspection_score"
    assert link in page and f"/cases/{case_id}/sheets/self_score" in page
    html = client.get(link).get_data(as_text=True)
    assert number in html and "示范律师事务所" in html and "检查评分表" in html
    for code in ("D1.1", "D1.2", "D2.1", "D2.2", "V1", "V4", "B1"):
        assert code in html
    assert "缺三季度 × 3" in html and "现场检查" in html and "未否决" in html
    assert re.search(r'id="print-total">15<', html) and re.search(r'id="print-band">限期整改<', html)
    assert "李华（东城负责人）" in html and "2025-10-13" in html
    assert '<button type="button" data-print id="print-now">' in html and "/static/lawflow.js" in html  # no onclick
    assert client.get(f"/cases/{case_id}/sheets/firm_code").status_code == 404


def test_an_outsider_gets_404_for_the_print_view(app, client):
    case_id, _number = start_scored_case(app)
    complete(app, case_id, "自评", "zhang", {"self_score": SELF_SCORED})
    login(client, "wang")                   # 西城: another county
    assert client.get(f"/cases/{case_id}/sheets/self_score").status_code == 404


def test_the_sheet_speaks_english_when_the_reader_chose_it(app, client):
    case_id, _number = start_scored_case(app)
    task_id = ready_task(app, case_id, "自评")
    login(client, "zhang")
    client.get("/lang/en")
    html = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "每缺一个季度的记录: deduct 1 points per 季度, at most 4 points" in html
    assert "Add a deduction" in html and "Found in the records (1)" in html and "out of 20 points" in html


def test_the_stored_sheets_these_tests_use_are_scored_as_the_standard_scores_them():
    from web.score_sheet import preview

    from .scoring_setup import STANDARD

    for entries, stored in ((SELF, SELF_SCORED), (INSPECTION, INSPECTION_SCORED)):
        assert {k: v for k, v in preview(STANDARD, entries).items() if k in stored} == \
            {k: v for k, v in stored.items() if k not in entries}


def test_the_engines_refusal_of_an_entry_is_shown_beside_its_item_in_chinese(app, client):
    case_id, _number = start_scored_case(app)
    task_id = ready_task(app, case_id, "自评")
    login(client, "zhang")
    answer = post_sheet(client, task_id, [("self_score.items[D1.2].deductions[0].count", "1"),
                                          ("self_score.items[D2.1].score", "6"),
                                          ("self_score.vetoes[V4].hit", "false"), ("self_score.vetoes[V4].hit", "true"),
                                          ("self_score.items[D2.2].found", "1")])
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "D1.2 三会一课记录：每项扣分须写明理由" in item_html(html, "D1.2")
    assert "D2.1 收费公示：得分低于满分须写明理由" in item_html(html, "D2.1")
    assert "D2.2 评估期内无查实投诉：系统记录为 1，填写为 0，更改须写明理由" in item_html(html, "D2.2")
    v1, v4 = html.index('data-veto-item="V1"'), html.index('data-veto-item="V4"')
    assert "一票否决须写明依据" not in html[v1:v4]
    assert "V4 申报弄虚作假：一票否决须写明依据" in html[v4:html.index('class="sheet-result"')]
    assert ready_task(app, case_id, "自评") == task_id
