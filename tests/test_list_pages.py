"""The pages of long lists (issue 23): 我的待办, the task views and 案件查询 show LIST_PAGE_SIZE rows, then 下一页 by a
keyset cursor; 我的待办's 待签收 part, cut at a page, says so and leads to the whole 待签收 view. Five complaints wait
at 初审 for county A's caseworkers; the page size is set to 2 to see it without making hundreds."""
from __future__ import annotations

import re

from .test_batch_pages import registered
from .web_helpers import login


def _rows(html: str, table: str, kind: str = "tasks") -> list[str]:
    """The task (or case) links of a table's rows, in order, once each."""
    body = html.split(f'<table id="{table}">', 1)[1].split("</table>", 1)[0]
    return list(dict.fromkeys(re.findall(rf'<a href="(/{kind}/\d+)"', body)))


def _next(html: str) -> str | None:
    found = re.search(r'<a id="next-page" href="([^"]+)"', html)
    return found and found.group(1).replace("&amp;", "&")


def _paged(client, path: str, table: str, kind: str = "tasks") -> list[list[str]]:
    """Each page's rows, following 下一页 from `path` to the last page."""
    pages, html = [], client.get(path).get_data(as_text=True)
    while True:
        pages.append(_rows(html, table, kind))
        following = _next(html)
        if following is None or len(pages) > 10:
            return pages
        assert "cursor=" in following
        html = client.get(following).get_data(as_text=True)


def test_a_task_view_shows_a_page_then_the_next_by_its_cursor(app, client):
    registered(app, 5)
    login(client, "chen")
    whole = _rows(client.get("/inbox?view=group").get_data(as_text=True), "inbox")
    assert len(whole) >= 5
    app.config["LIST_PAGE_SIZE"] = 2
    pages = _paged(client, "/inbox?view=group", "inbox")
    assert [len(p) for p in pages[:-1]] == [2] * (len(pages) - 1) and len(pages) == len(whole) // 2 + 1
    assert sum(pages, []) == whole                                 # neither repeated nor skipped, in order


def test_the_claimable_part_of_my_work_cut_at_a_page_says_so_and_leads_to_the_whole_view(app, client):
    registered(app, 5)
    login(client, "chen")
    whole = client.get("/inbox").get_data(as_text=True)
    claimable = _rows(whole, "claimable")
    assert len(claimable) >= 5 and 'id="more-claimable"' not in whole
    assert re.search(rf'id="claimable-heading">[^<]*<span class="count">{len(claimable)}</span>', whole)
    app.config["LIST_PAGE_SIZE"] = 2
    cut = client.get("/inbox?sort=oldest").get_data(as_text=True)
    assert len(_rows(cut, "claimable")) == 2 and re.search(r'<span class="count">2\+</span>', cut)
    more = re.search(r'<a id="more-claimable" href="([^"]+)"', cut).group(1).replace("&amp;", "&")
    assert "view=group" in more and "sort=oldest" in more           # the same filters, on the whole view
    assert sorted(sum(_paged(client, more, "inbox"), [])) == sorted(claimable)


def test_the_case_search_shows_a_page_then_the_next(app, client):
    registered(app, 5)
    login(client, "chen")
    whole = _rows(client.get("/cases").get_data(as_text=True), "cases", "cases")
    assert len(whole) >= 5
    app.config["LIST_PAGE_SIZE"] = 2
    pages = _paged(client, "/cases", "cases", "cases")
    assert len(pages[0]) == 2 and sum(pages, []) == whole
