"""No template holds script a strict Content-Security-Policy (`script-src 'self'`) would block: no inline event
handler (onclick=, onsubmit=, …), no javascript: link and no inline <script> block (the JSON data blocks pages
hand their scripts are data, not script). Pages hook their behaviour on data attributes read by the static scripts
(data-print and data-no-submit in web/static/lawflow.js, data-confirm in confirm.js, …)."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "web" / "templates"
DATA_SCRIPTS = {"application/json", "application/ld+json", "text/template"}


class _Finder(HTMLParser):
    """The places in one template that would run script written in the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        for name, value in attrs:
            if re.fullmatch(r"on[a-z]+", name):
                self.found.append(f"{line}: <{tag} {name}=…>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.found.append(f"{line}: <{tag} {name}=\"{value}\">")
        if tag == "script":
            given = dict(attrs)
            self._inline_script = "src" not in given and (given.get("type") or "") not in DATA_SCRIPTS

    def handle_data(self, data: str) -> None:
        if self._inline_script and data.strip():
            self.found.append(f"{self.getpos()[0]}: inline <script>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._inline_script = False


def _problems(text: str) -> list[str]:
    finder = _Finder()
    finder.feed(text)
    finder.close()
    return finder.found


def test_the_finder_sees_each_kind_of_inline_script():
    """The check itself: each thing it forbids is found, and the hooks pages use instead are not."""
    assert _problems('<button type="button" onclick="window.print()">') == ['1: <button onclick=…>']
    assert _problems('<form novalidate\n onsubmit="return false">') == ['1: <form onsubmit=…>']
    assert _problems('<a href="javascript:void(0)">') == ['1: <a href="javascript:void(0)">']
    assert _problems("<script>window.print()</script>") == ["1: inline <script>"]
    assert _problems('<button type="button" data-print id="print-now"><form data-no-submit>'
                     '<script type="application/json" class="chart-data">{"a": 1}</script>'
                     '<script src="/static/lawflow.js"></script><p data-confirm="onclick=">') == []


def test_no_template_holds_an_inline_event_handler_or_script():
    """Every template under web/templates, so that a strict Content-Security-Policy would hold."""
    found = {str(path.relative_to(TEMPLATES)): _problems(path.read_text(encoding="utf-8"))
             for path in sorted(TEMPLATES.rglob("*.html"))}
    assert len(found) > 50
    assert {path: problems for path, problems in found.items() if problems} == {}
