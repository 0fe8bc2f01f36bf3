"""Signing in through the pages and issuing API tokens, for the web and API tests."""
from __future__ import annotations

import re

from engine.core import people
from web.database import session as db_session
from web.tokens import create_token


def csrf(client, path="/login") -> str:
    """The CSRF token a page's form carries."""
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def login(client, username, password="demo1234"):
    """Sign in through the login form."""
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf(client)})


def token_for(app, username: str) -> dict[str, str]:
    """Authorization headers with a fresh API token acting as the user."""
    with app.app_context():
        db = db_session()
        return {"Authorization": f"Bearer {create_token(db, people.user_by_name(db, username), 'test')}"}


def field_errors(html: str) -> dict[str, str]:
    """The error shown under each field of a rendered form, by field name."""
    found = {}
    for chunk in html.split('data-field="')[1:]:
        name, _, rest = chunk.partition('"')
        error = re.search(r'class="field-error" role="alert">([^<]+)<', rest)
        if error:
            found[name] = error.group(1)
    return found
