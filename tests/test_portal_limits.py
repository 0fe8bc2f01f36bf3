"""The portal's rate limits (Flask-Limiter, counters in the shared database): a visitor who mistypes the form is
never locked out by his corrections, only accepted submissions and wrong access codes count; a breached limit is a
Chinese page that says when to try again, answered before the body is read; two servers on one database count
together; the window passes with the clock."""
from __future__ import annotations

from datetime import timedelta

import time_machine

from web import create_app

from .conftest import DEMO_MOMENT
from .test_portal import file, text
from .web_helpers import csrf


def status_check(client, number="〔2025〕投诉第9999号", code="AAAAAAAA"):
    return client.post("/portal/status", data={"csrf_token": csrf(client, "/portal/status"), "number": number,
                                               "code": code})


def test_six_refused_forms_do_not_stop_a_seventh_that_is_right(client):
    for _ in range(6):
        assert file(client, facts="太短").status_code == 422
    assert file(client).status_code == 200


def test_the_limit_page_says_when_to_try_again_and_reads_no_body(client):
    with time_machine.travel(DEMO_MOMENT, tick=False) as clock:
        for _ in range(5):
            assert file(client).status_code == 200
        limited = client.post("/portal/lawyer_complaint", data={"facts": "x"})     # no CSRF token: never read
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) in (3600, 3601)
        page = text(limited)
        assert "操作过于频繁" in page and "请 60 分钟后再试" in page and "填写有误而被退回的提交不计入次数" in page
        clock.shift(timedelta(minutes=45))
        assert "请 15 分钟后再试" in text(file(client))
        clock.shift(timedelta(minutes=16))                      # the hour has passed
        assert file(client).status_code == 200


def test_a_right_code_does_not_count_and_a_wrong_one_does(client):
    for _ in range(20):
        assert status_check(client).status_code == 404
    assert status_check(client).status_code == 429
    assert client.get("/portal/status").status_code == 200      # reading the page is not limited


def test_two_servers_on_one_database_count_together(app, demo_url):
    other = create_app({**{k: app.config[k] for k in ("DATABASE_URL", "SECRET_KEY")}, "TESTING": True})
    first, second = app.test_client(), other.test_client()
    try:
        for _ in range(3):
            assert file(first).status_code == 200
        for _ in range(2):
            assert file(second).status_code == 200
        assert file(first).status_code == 429 and file(second).status_code == 429
    finally:
        other.extensions["lawflow.sql"].dispose()


def test_the_limit_page_reads_in_english(client):
    client.get("/lang/en")
    for _ in range(20):
        status_check(client)
    page = text(status_check(client))
    assert "Too many attempts" in page and "操作过于频繁" not in page


def test_the_status_query_takes_the_number_without_its_brackets_and_words(client):
    import re
    receipt = text(file(client))
    number = re.search(r'id="case-number">([^<]+)<', receipt).group(1)           # e.g. 〔2025〕投诉第0001号
    code = re.search(r'id="access-code">([A-Z0-9]{8})<', receipt).group(1)
    year, seq = re.findall(r"\d+", number)
    for typed in (number, f"{year}投诉{seq}", f"{year} {int(seq)}", f"（{year}）投诉第{int(seq)}号"):
        found = status_check(client, typed, code)
        assert found.status_code == 200 and number in text(found), typed
    assert status_check(client, f"{year}投诉{int(seq) + 1}", code).status_code == 404


def test_the_receipt_can_be_printed_and_kept_as_a_file(client):
    import re
    from urllib.parse import unquote
    page = text(file(client))
    number = re.search(r'id="case-number">([^<]+)<', page).group(1)
    code = re.search(r'id="access-code">([A-Z0-9]{8})<', page).group(1)
    assert 'id="print-receipt"' in page and "data-print" in page
    link = re.search(r'id="download-receipt" download="回执-([^"]+)\.txt"\s+href="data:text/plain;charset=utf-8,([^"]+)"',
                     page)
    kept = unquote(link.group(2))
    assert link.group(1) == number and f"案件编号：{number}" in kept and f"查询码：{code}" in kept
    assert "接收机关：东城区司法局" in kept and "/portal/status" in kept
