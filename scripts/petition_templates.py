"""Write the Word templates of the 信访 track (processes/complaint/petition.bpmn) into forms/complaint/.

Run: .venv/bin/python scripts/petition_templates.py
"""
from __future__ import annotations

from pathlib import Path

from docx_writer import write_all      # scripts/docx_writer.py, beside this file

FOLDER = Path(__file__).resolve().parent.parent / "forms" / "complaint"

TEMPLATES = {
    "petition_non_acceptance.docx": [
        ("h1", "{{ case.organization }}"),
        ("h2", "信访事项不予受理告知书"),
        ("c", "{{ case.number }}"),
        ("p", "{{ complainant_name }}："),
        ("p", "你（单位）于{{ received_on | cn_date }}提出的信访事项（所涉：{{ respondent_name }}；请求：{{ requests }}），"
              "经审查，本机关决定不予受理。"),
        ("p", "理由：{{ petition_refusal_reason }}"),
        ("p", "{% if petition_earlier_numbers %}同一信访事项在先办理案号：{{ petition_earlier_numbers }}。{% endif %}"),
        ("p", "特此告知。"),
        ("r", "{{ case.organization }}"),
        ("r", "{{ today | cn_date }}"),
    ],
    "petition_extension_notice.docx": [
        ("h1", "{{ case.organization }}"),
        ("h2", "信访事项延期告知书"),
        ("c", "{{ case.number }}"),
        ("p", "{{ complainant_name }}："),
        ("p", "你（单位）于{{ received_on | cn_date }}提出的信访事项，因{{ petition_extension_reason }}，"
              "经本机关负责人批准，办理期限延长 30 日，至{{ petition_deadline | cn_date }}（《信访工作条例》第三十四条）。"),
        ("p", "特此告知。"),
        ("r", "{{ case.organization }}"),
        ("r", "{{ today | cn_date }}"),
    ],
    "petition_opinion.docx": [
        ("h1", "{{ case.organization }}"),
        ("h2", "{{ petition_doc_title }}"),
        ("c", "{{ case.number }}"),
        ("p", "{{ complainant_name }}："),
        ("p", "你（单位）于{{ received_on | cn_date }}提出的信访事项，所涉：{{ respondent_name }}。"),
        ("p", "投诉请求：{{ requests }}"),
        ("p", "事实和理由：{{ facts }}"),
        ("p", "{% if petition_findings %}调查核实情况：{{ petition_findings }}{% endif %}"),
        ("p", "意见：{{ petition_doc_result }}。{{ petition_doc_opinion }}"),
        ("p", "依据：{{ petition_doc_basis }}"),
        ("p", "{{ petition_doc_remedy }}"),
        ("r", "{{ case.organization }}"),
        ("r", "{{ today | cn_date }}"),
    ],
}

if __name__ == "__main__":
    write_all(FOLDER, TEMPLATES)
