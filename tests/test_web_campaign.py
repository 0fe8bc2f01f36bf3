"""A campaign's page: its participants as a table with filters, sort, pages and an Excel export, the figures its
process declares, and only what the user may see."""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from engine.core import people, Case
from engine.definitions.participant_views import parse_columns, parse_figures
from engine.work import participants
from web.database import session as db_session

from .conftest import DEMO_MOMENT
from .scoring_setup import deploy, start_campaign
from .web_helpers import login


def table_rows(html: str) -> list[str]:
    """The participants' titles in the order the table lists them."""
    table = html[html.index('id="participant-table"'):]
    table = table[:table.index("</table>")]
    return re.findall(r'data-participant="\d+"><td>[^<]*</td><td><a [^>]+>[^<]+</a> ([^<]+)</td>', table)


def figure(html: str, name: str) -> str:
    return re.search(rf'data-figure="{name}">[^<]*<strong>([^<]*)</strong>', html).group(1).strip()


def test_the_campaign_page_lists_every_participant_with_the_declared_columns_and_figures(app, client):
    campaign_id, ids = start_campaign(app)
    login(client, "admin")
    html = client.get(f"/cases/{campaign_id}").get_data(as_text=True)
    assert "参与单位" in html
    assert table_rows(html) == ["甲律师事务所", "乙律师事务所", "丙律师事务所", "丁律师事务所", "戊律师事务所"]
    for label in ("阶段", "自评分", "检查得分", "等次"):
        assert f">{label}</a></th>" in html
    assert (figure(html, "invited"), figure(html, "applied"), figure(html, "recommended"), figure(html, "inspected"),
            figure(html, "named"), figure(html, "rectifying"), figure(html, "overdue")) == \
        ("5", "4", "4", "3", "1", "1", "2")
    assert figure(html, "rate") == "33.3%"           # 达标率: named / inspected
    row = html[html.index(f'data-participant="{ids[1]}"'):]
    assert 'data-column="inspection_total">15<' in row[:row.index("</tr>")] and "已超期" in row[:row.index("</tr>")]


def test_filters_sort_and_pages_narrow_the_table_but_not_the_figures(app, client):
    campaign_id, _ids = start_campaign(app)
    login(client, "admin")
    page = f"/cases/{campaign_id}"
    assert table_rows(client.get(f"{page}?p_stage=整改中").get_data(as_text=True)) == ["乙律师事务所"]
    assert table_rows(client.get(f"{page}?p_band=达标").get_data(as_text=True)) == ["丙律师事务所"]
    assert table_rows(client.get(f"{page}?p_org=county-b").get_data(as_text=True)) == ["丙律师事务所", "丁律师事务所"]
    html = client.get(f"{page}?p_overdue=yes").get_data(as_text=True)
    assert table_rows(html) == ["乙律师事务所", "戊律师事务所"] and figure(html, "invited") == "5"
    by_score = client.get(f"{page}?p_sort=-inspection_total").get_data(as_text=True)
    assert table_rows(by_score) == ["甲律师事务所", "丙律师事务所", "乙律师事务所", "丁律师事务所", "戊律师事务所"]
    assert 'data-sort="inspection_total">检查得分 ↓' in by_score
    assert table_rows(client.get(f"{page}?p_sort=self_total").get_data(as_text=True))[:3] == \
        ["丁律师事务所", "丙律师事务所", "乙律师事务所"]
    with app.app_context():
        db = db_session()
        case = db.get(Case, campaign_id)
        second = participants.table(db, people.user_by_name(db, "admin"), case, DEMO_MOMENT, page=2, per_page=2)
    assert [r["title"] for r in second.rows] == ["丙律师事务所", "丁律师事务所"] and second.pages == 3


def test_the_export_is_a_workbook_of_the_filtered_rows(app, client):
    campaign_id, _ids = start_campaign(app)
    login(client, "admin")
    html = client.get(f"/cases/{campaign_id}?p_org=county-a").get_data(as_text=True)
    link = re.search(r'href="([^"]+)" id="participant-export"', html).group(1).replace("&amp;", "&")
    answer = client.get(link)
    assert answer.status_code == 200 and answer.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(answer.data)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["编号", "名称", "单位", "阶段", "自评分", "检查得分", "等次", "超期"]
    assert [r[1:] for r in rows[1:]] == [["甲律师事务所", "东城区司法局", "已命名", 19, 18, "示范", None],
                                         ["乙律师事务所", "东城区司法局", "整改中", 17, 15, "限期整改", "是"]]


def test_a_user_outside_the_campaigns_organisation_gets_404_and_sees_only_their_own_participant(app, client):
    campaign_id, ids = start_campaign(app)
    login(client, "zhang")                       # 东城: two participants are theirs, the campaign is the city's
    assert client.get(f"/cases/{campaign_id}").status_code == 404
    assert client.get(f"/cases/{campaign_id}/participants.xlsx").status_code == 404
    assert client.get(f"/cases/{ids[0]}").status_code == 200
    assert client.get(f"/cases/{ids[2]}").status_code == 404       # 西城's participant
    assert "participant-table" not in client.get(f"/cases/{ids[0]}").get_data(as_text=True)


def test_a_case_without_participants_shows_no_table(app, client):
    deploy(app)
    login(client, "admin")
    html = client.get("/cases").get_data(as_text=True)
    some = re.search(r'href="/cases/(\d+)"', html).group(1)
    assert "participant-table" not in client.get(f"/cases/{some}").get_data(as_text=True)


def test_the_grammar_of_columns_and_figures():
    figures, problems = parse_figures("all=*:全部, a=stage=x;y:甲, b=stage!=z:乙, late=@overdue:超期, r=a/all:比率")
    assert [(f.name, f.kind, f.field, f.values) for f in figures] == [
        ("all", "all", "", ()), ("a", "eq", "stage", ("x", "y")), ("b", "ne", "stage", ("z",)),
        ("late", "overdue", "", ()), ("r", "ratio", "a", ("all",))]
    assert problems == []
    _found, problems = parse_figures("x=:空, y=stage=:无值, r=x/none:比, 1bad=*:坏, dup=*:一, dup=*:二, q=?:问")
    assert [p.code for p in problems] == ["participants.bad_figure", "participants.bad_rule",
                                          "participants.unknown_figure", "participants.bad_figure",
                                          "participants.duplicate", "participants.bad_rule"]
    columns, problems = parse_columns("stage:阶段, total, band:等次, band:又")
    assert columns == [("stage", "阶段"), ("band", "等次")]
    assert [p.code for p in problems] == ["participants.bad_column", "participants.duplicate"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_deploy_refuses_bad_figures_naming_the_process(session, engine, org_tree):
    from engine.core import BundleInvalid
    from engine.definitions import bundles

    from .conftest import bundle_with
    from .scoring_setup import FILES

    broken = FILES["processes/scoretest/campaign_test.bpmn"].replace(b"rate=named/inspected", b"rate=named/judged")
    with pytest.raises(BundleInvalid) as refused:
        bundles.deploy(session, bundle_with({**FILES, "processes/scoretest/campaign_test.bpmn": broken}),
                       engine=engine)
    found = [p for p in refused.value.problems if p.element == "campaign_test"]
    assert [p.msg.code for p in found] == ["participants.unknown_figure"]
    assert found[0].file == "processes/scoretest/campaign_test.bpmn" and found[0].line


def test_a_value_that_looks_like_a_formula_is_exported_as_text(app, client):
    campaign_id, ids = start_campaign(app)
    with app.app_context():
        db = db_session()
        db.get(Case, ids[0]).title = "=HYPERLINK(\"http://x\")"
        db.commit()
    login(client, "admin")
    sheet = load_workbook(io.BytesIO(client.get(f"/cases/{campaign_id}/participants.xlsx").data)).active
    cell = sheet.cell(row=2, column=2)
    assert (cell.value, cell.data_type) == ("=HYPERLINK(\"http://x\")", "s")
