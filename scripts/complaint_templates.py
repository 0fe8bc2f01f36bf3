"""Word templates of the complaint procedure's written answers added for issue 19 (终止告知书, 准予撤回告知书, and the
中止/恢复 notices to the respondent). Run `python scripts/complaint_templates.py` to rewrite them into forms/complaint/.

The older complaint templates (受理通知书, 中止通知书 to the complainant, …) were written by hand and are not
produced here; these follow their layout: issuer, title, number, addressee, body, signature and date.
"""
from __future__ import annotations

from pathlib import Path

from docx_writer import write_all      # scripts/docx_writer.py, beside this file

SIGN = [("r", "{{ case.organization }}"), ("r", "{{ today | cn_date }}")]

TEMPLATES = {
    "termination_notice.docx": [
        ("h1", "{{ case.organization }}"), ("h2", "投诉处理终止告知书"), ("c", "{{ case.number }}"),
        ("p", "{{ complainant_name }}："),
        ("p", "你（单位）于{{ received_on | cn_date }}对{{ respondent_name }}提出的投诉，本机关已于{{ accepted_at | cn_date }}受理。"
              "因{{ termination_ground_label }}，经本机关负责人批准，本机关决定自{{ terminated_at | cn_date }}起终止办理。"),
        ("p", "{% if suspended_at %}本案曾于{{ suspended_at | cn_date }}因{{ suspension_ground_label }}中止办理。{% endif %}"),
        ("p", "你（单位）对本告知不服的，可以依法申请行政复议或者提起行政诉讼，也可以向本机关反映新的事实和证据。"),
        ("p", "特此告知。"),
        *SIGN,
    ],
    "withdrawal_confirmation.docx": [
        ("h1", "{{ case.organization }}"), ("h2", "准予撤回投诉告知书"), ("c", "{{ case.number }}"),
        ("p", "{{ complainant_name }}："),
        ("p", "你（单位）于{{ received_on | cn_date }}对{{ respondent_name }}提出的投诉，已于{{ withdrawn_at | cn_date }}申请撤回"
              "{% if withdrawal_reason %}（撤回理由：{{ withdrawal_reason }}）{% endif %}。经审查，本机关准予撤回，终止办理本投诉。"),
        ("p", "审查意见：{{ withdrawal_opinion }}"),
        ("p", "撤回投诉不影响本机关依法履行对律师、律师事务所的监督管理职责。"),
        ("p", "特此告知。"),
        *SIGN,
    ],
    "suspension_notice_respondent.docx": [
        ("h1", "{{ case.organization }}"), ("h2", "投诉处理中止通知书"), ("c", "{{ case.number }}"),
        ("p", "{{ respondent_name }}："),
        ("p", "{{ complainant_name }}投诉你（单位）一案，因{{ suspension_ground_label }}，本机关决定自{{ suspended_at | cn_date }}起中止办理。"),
        ("p", "中止期间不计入办理期限。中止原因消除后，本机关将恢复办理并书面通知你（单位）。"),
        ("p", "特此通知。"),
        *SIGN,
    ],
    "resumption_notice_respondent.docx": [
        ("h1", "{{ case.organization }}"), ("h2", "投诉处理恢复通知书"), ("c", "{{ case.number }}"),
        ("p", "{{ respondent_name }}："),
        ("p", "{{ complainant_name }}投诉你（单位）一案，中止原因已经消除（{{ resume_reason }}），本机关决定自{{ resumed_at | cn_date }}起恢复办理。"),
        ("p", "办理期限相应顺延至{{ handling_deadline | cn_date }}。"),
        ("p", "特此通知。"),
        *SIGN,
    ],
}

if __name__ == "__main__":
    write_all(Path(__file__).resolve().parent.parent / "forms" / "complaint", TEMPLATES)
