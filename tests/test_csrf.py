"""CSRF tokens (Flask-WTF): a form posted without its token, or with another browser's, is refused with a message
in the reader's language and changes nothing; the API, which takes bearer tokens and never the cookie, needs none."""
from __future__ import annotations

from .web_helpers import csrf, login


def test_a_token_from_another_browser_is_refused_and_the_same_form_with_its_own_passes(app):
    mine, other = app.test_client(), app.test_client()
    login(mine, "zhang")
    login(other, "li")
    stolen = csrf(other, "/inbox")
    refused = mine.post("/logout", data={"csrf_token": stolen})
    assert refused.status_code == 400 and "CSRF 校验失败" in refused.get_data(as_text=True)
    assert mine.get("/inbox").status_code == 200                          # still signed in: nothing happened
    assert mine.post("/logout", data={"csrf_token": csrf(mine, "/inbox")}).status_code == 302


def test_the_refusal_reads_in_english(app):
    client = app.test_client()
    client.get("/lang/en")
    refused = client.post("/login", data={"username": "zhang", "password": "demo1234"})
    assert refused.status_code == 400 and "CSRF check failed" in refused.get_data(as_text=True)


def test_the_api_needs_no_csrf_token(app, client):
    from .web_helpers import token_for
    headers = token_for(app, "zhang")
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200
    answer = client.post("/api/v1/cases", json={"process_key": "nope"}, headers=headers)
    assert answer.status_code == 422 and "CSRF" not in answer.get_data(as_text=True)    # refused for its body
