"""Write the Word templates of the complaint procedure's track for clues referred by courts, procuratorates and
police (forms/complaint/referral_feedback_letter.docx, decision_notice_letter.docx).

Run: .venv/bin/python scripts/complaint_referral_templates.py
"""
from __future__ import annotations

from pathlib import Path

from docx_writer import write_all

FOLDER = Path(__file__).resolve().parent.parent / "forms" / "complaint"

TEMPLATES = {
    "referral_feedback_letter.docx": [
        ("h1", "{{ case.organization }}"),
        ("h2", "移送线索办理情况反馈函"),
        ("c", "{{ case.number }}"),
        ("p", "{{ referring_org }}："),
        ("p", "你单位于{{ received_on | cn_date }}移送的涉及{{ respondent_name }}的线索收悉。本机关已依法审查，"
              "现将办理情况反馈如下："),
        ("p", "办理决定：{{ decision_label }}（{{ decided_at | cn_date }}作出）。"),
        ("p", "理由：{{ decision_reason }}"),
        ("p", "{% if decision == 'accepted' %}本机关将依法调查处理，作出处理决定后{{ limits.organ_notice.text }}内将处理结果告知你单位"
              "（《律师执业管理办法》第五十九条）。{% endif %}"),
        ("p", "依据：《律师和律师事务所违法违规行为投诉处理办法(试行)》（四川省司法厅）：政法单位移送的线索，"
              "{{ limits.referral_review.text }}内办理，作出办理决定后 {{ limits.feedback.text }}内反馈。"),
        ("p", "特此函告。"),
        ("r", "{{ case.organization }}"),
        ("r", "{{ today | cn_date }}"),
    ],
    "decision_notice_letter.docx": [
        ("h1", "{{ case.organization }}"),
        ("h2", "处理结果告知函"),
        ("c", "{{ case.number }}"),
        ("p", "{{ referring_org }}："),
        ("p", "你单位于{{ received_on | cn_date }}移送的涉及{{ respondent_name }}的线索，本机关已依法调查处理完毕。"
              "现将处理结果告知如下："),
        ("p", "处理结果：{{ outcome_label }}。"),
        ("p", "事实和理由：{{ outcome_reason }}（{{ legal_basis }}）"),
        ("p", "处理决定作出日期：{{ organ_decision_on | cn_date }}。"),
        ("p", "依据：《律师执业管理办法》第五十九条，作出处理决定后{{ limits.organ_notice.text }}内告知提出建议的机关。"),
        ("p", "特此函告。"),
        ("r", "{{ case.organization }}"),
        ("r", "{{ today | cn_date }}"),
    ],
}

if __name__ == "__main__":
    write_all(FOLDER, TEMPLATES)
