"""Decision tables (DMN) of a draft edited in the browser: the page holding the dmn-js editor (bundled from
web/assets-src/dmn-editor.js), which loads the draft's XML from the raw-file route and saves it through the draft's
save endpoint like every other editor; upload and the read-only preview of each table stay beside it."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.core import DataValidationError, EngineError
from engine.definitions import decision_tables

from .database import session
from .engine_text import engine_text
from .refusal import refuse
from .workflow import engine


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


def folders(files: dict[str, bytes]) -> list[str]:
    """The folders under processes/ of a draft's files, where a new decision table may go."""
    return sorted({p.split("/")[1] for p in files if p.startswith("processes/") and p.count("/") >= 2})


def create(draft_id: int):
    """新建决策表: a new DMN file with one empty decision table, opened in the editor; a bad or taken name is
    refused naming the field, and the draft page shows the form again with what was entered."""
    form = {k: request.form.get(k, "") for k in ("folder", "key", "name")}
    try:
        path = decision_tables.new_table(session(), engine(), draft_id, **form, actor=g.user.username,
                                         labels=(_("条件"), _("结果")))
    except DataValidationError as exc:
        named = {"folder": _("目录"), "key": _("决策编号（文件名）"), "name": _("决策表名称")}
        refuse(exc, _("未新建决策表：%(problems)s", problems="；".join(
            f"{named.get(e.field, e.field)}：{engine_text(e)}" for e in exc.errors)))
        return redirect(url_for("policy.draft", draft_id=draft_id, dmn_folder=form["folder"], dmn_key=form["key"],
                                dmn_name=form["name"], _anchor="new-dmn"))
    except EngineError as exc:
        refuse(exc)
        return redirect(url_for("policy.draft", draft_id=draft_id))
    flash(_("已新建决策表 %(path)s，请填写输入、输出和规则", path=path), "ok")
    return redirect(url_for("policy.edit_file", draft_id=draft_id, path=path))
