"""A wrong day or period on the 统计 page, the 瓶颈图 and the 月度台账 page (issue 20), on both databases: refused as
the Excel exports and the API refuse it (422), with the message beside the field it is in, in Chinese and in
English, and no figure counted over a period the reader did not ask for; the print view, the exports, the case
lists and the ledger downloads refuse it too, naming the field."""
from __future__ import annotations

import re

import pytest

from .test_work_pages import text
from .web_helpers import login

PAGES = [("/stats?", "stats"), ("/stats/bottlenecks?process=lawyer_complaint&", "map"), ("/stats/monthly?", "monthly")]
COUNTED = {"stats": 'class="card report"', "map": 'id="bottleneck-steps"', "monthly": 'id="monthly-downloads"'}
DOWNLOADS = ["/stats/print?", "/stats/complaint_channels/export.xlsx?",
             "/stats/complaint_channels/cases?measure=received&",
             "/stats/bottlenecks/cases?process=lawyer_complaint&step=Task_preliminary&",
             "/stats/bottlenecks/export.xlsx?process=lawyer_complaint&", "/stats/monthly/ledger.xlsx?",
             "/stats/monthly/summary.docx?"]


def _beside(page: str, prefix: str, name: str) -> str:
    """The message shown beside a filter field (empty when there is none)."""
    found = re.search(rf'<span class="field-error" role="alert" id="{prefix}-{name}-error"[^>]*>([^<]*)</span>', page)
    return found.group(1) if found else ""


@pytest.mark.parametrize(("path", "prefix"), PAGES)
def test_a_day_that_is_not_one_is_refused_beside_its_field(client, path, prefix):
    login(client, "sun")                      # 分管副局长 of 东城区
    response = client.get(path + "since=2025-13-01&until=2025-10-31")
    page = text(response)
    assert response.status_code == 422
    assert _beside(page, prefix, "since") == "起始日期：应为日期（YYYY-MM-DD）" and not _beside(page, prefix, "until")
    assert f'id="{prefix}-since"' in page and 'aria-describedby="%s-since-error"' % prefix in page
    assert COUNTED[prefix] not in page                                                      # nothing counted
    assert 'value="2025-10-31"' in page                                                    # the good field stays


@pytest.mark.parametrize(("path", "prefix"), PAGES)
def test_a_period_that_ends_before_it_begins_is_refused_beside_its_end(client, path, prefix):
    login(client, "sun")
    response = client.get(path + "since=2025-10-31&until=2025-10-01")
    assert response.status_code == 422
    assert _beside(text(response), prefix, "until") == "截止日期：截止日期不能早于起始日期"


@pytest.mark.parametrize(("path", "prefix"), PAGES)
def test_the_refusal_reads_in_english(client, path, prefix):
    login(client, "sun")
    client.get("/lang/en")
    response = client.get(path + "until=tomorrow")
    assert response.status_code == 422
    assert _beside(text(response), prefix, "until") == "To: Give a date (YYYY-MM-DD)"


@pytest.mark.parametrize(("path", "prefix"), PAGES)
def test_a_good_period_is_counted_with_no_message(client, path, prefix):
    login(client, "sun")
    response = client.get(path + "since=2025-10-01&until=2025-10-31")
    page = text(response)
    assert response.status_code == 200 and 'class="field-error"' not in page and 'aria-invalid' not in page
    assert COUNTED[prefix] in page


@pytest.mark.parametrize("path", DOWNLOADS)
def test_the_print_view_exports_case_lists_and_ledger_downloads_refuse_a_wrong_day_naming_it(client, path):
    login(client, "sun")
    response = client.get(path + "since=2025-10-01&until=2025-10-3")
    assert response.status_code == 422
    assert '<li data-field="until">' in text(response) and "应为日期（YYYY-MM-DD）" in text(response)
    assert client.get(path + "since=2025-10-01&until=2025-10-31").status_code == 200
