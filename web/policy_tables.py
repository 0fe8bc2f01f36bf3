"""Decision tables (DMN) of a draft edited in the browser: the page holding the dmn-js editor (bundled from
web/assets-src/dmn-editor.js), which loads the draft's XML from the raw-file route and saves it through the draft's
save endpoint like every other editor; upload and the read-only preview of each table stay beside it."""
from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _


def labels() -> dict[str, str]:
    """What the editor's script says, in the reader's language (the save-result helper's texts included)."""
    return {
        "saved_ok": _("已保存，校验通过"), "saved_problems": _("已保存，草稿有以下问题（%(count)s 个）：", count="{count}"),
        "not_saved": _("未保存："), "warning": _("提醒"), "drd": _("决策关系图"), "literal": _("文字表达式"),
        "cannot_open": _("无法打开决策表："),
    }


def editor(draft, path: str, tables: list[dict]):
    """The editor page of one DMN file of a draft (read-only once the draft is published)."""
    return render_template("policy/dmn_editor.html", draft=draft, path=path, tables=tables, labels=labels())
