"""Browser tests' harness: the real app served over HTTP in a thread, and Debian's Chromium driven by Playwright
(never a downloaded browser build). Screenshots go to test-artifacts/."""
from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update", "--disable-dev-shm-usage"]


def chromium_path() -> str:
    """Debian's chromium; `make test` installs it (scripts/ensure-chromium.sh)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("Chromium is not installed: run scripts/ensure-chromium.sh (make test does)")
    return found


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on a free loopback port, for the length of a test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.fixture
def new_page(browser, request):
    """A factory of pages, each in its own context (its own cookies: one per person); screenshots on failure."""
    contexts = []

    def make():
        context = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        for i, context in enumerate(contexts):
            for j, page in enumerate(context.pages):
                shot(page, f"{request.node.name}-failure-{i}-{j}")
    for context in contexts:
        context.close()


def shot(page, name: str) -> Path:
    """Save a full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, base: str, username: str, password: str = "demo1234") -> None:
    """Sign in through the login form."""
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/(inbox)?$"))


def saved(page, holder: str, button: str) -> str:
    """Press an editor's save button and wait for the answer, which stamps the editor's `data-saved` anew (read from
    the page as a person reads the answer, not asked of its scripts); the answer's text."""
    from playwright.sync_api import expect

    before = page.get_attribute(holder, "data-saved")
    page.click(button)
    if before is None:
        expect(page.locator(holder)).to_have_attribute("data-saved", re.compile(r"\d"))
    else:
        expect(page.locator(holder)).not_to_have_attribute("data-saved", before)
    return page.inner_text("#save-result")


def fill_form(page, values: dict, scope: str = "form") -> None:
    """Fill a rendered task form by field name, whatever widget the schema gave each field. The page's scripts
    (lawflow.js at the end of the body adds list rows) run before the `load` event: a click on 添加一项 before
    then does nothing, as a person's would not on a page still loading."""
    page.wait_for_load_state("load")
    for name, value in values.items():
        field = page.locator(f'{scope} [data-field="{name}"]')
        if isinstance(value, bool):
            field.locator(f'input[type=radio][value="{str(value).lower()}"]').check()
        elif isinstance(value, list):
            for item in value:
                boxes = field.locator(f'input[type=checkbox][value="{item}"]')
                if boxes.count():
                    boxes.check()
                else:
                    field.locator("button[data-add-row]").click()
                    field.locator(f'input[name="{name}"]').last.fill(str(item))
        elif field.locator("select").count():
            field.locator("select").select_option(str(value))
        elif field.locator("input[type=radio]").count():
            field.locator(f'input[type=radio][value="{value}"]').check()
        elif field.locator("textarea").count():
            field.locator("textarea").fill(str(value))
        else:
            field.locator("input").first.fill(str(value))


def click_confirmed(page, selector: str) -> str | None:
    """Click a form's button and, when it asks first (data-confirm: the page's confirmation dialog), answer 确定
    with the mouse and wait for the form's answer; the question asked, or None when the button asked nothing."""
    button = page.locator(selector)
    question = button.get_attribute("data-confirm")
    button.click()
    if question:
        page.wait_for_selector("#confirm-dialog[open]")
        assert page.locator("#confirm-question").inner_text() == question
        with page.expect_navigation():
            page.click("#confirm-ok")
    return question
