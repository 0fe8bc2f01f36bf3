"""Write the Word summary of the 月度台账 (forms/monthly_summary.docx) with python-docx.

Run `python scripts/monthly_summary_template.py` after changing the text here; staff may equally edit the .docx in
Word afterwards (it is bundle data, published with a version). What it is filled with: `organization`, `org_code`,
`period`, `since`, `until`, `today` (ISO days; the `cn_date` filter writes them in Chinese) and `reports`, each
`{title, description, group_label, columns, total, rows}`, where `total` and each row's `figures` are lists of
`{label, text, value}` and a row has its `label` (and `rank`, `score` in a ranking); see web/monthly.py. A line
`{%p for … %}` … `{%p endfor %}` repeats the paragraphs between them.
"""
from __future__ import annotations

from pathlib import Path

from docx_writer import write      # scripts/docx_writer.py, beside this file

TARGET = Path(__file__).resolve().parent.parent / "forms" / "monthly_summary.docx"
FIGURES = "{% for f in FIGS %}{{ f.label }} {{ f.text }}{% if not loop.last %}；{% endif %}{% endfor %}"

LINES = [
    ("h1", "{{ organization }}"),
    ("h2", "月度统计台账摘要"),
    ("c", "统计期间：{{ period }}"),
    ("p", "本摘要依据统计报表生成，统计范围为{{ organization }}及其下级机构在统计期间内收到的案件，"
          "各报表的分组明细见同期 Excel 台账（每个报表一张工作表）。"),
    ("p", "{%p for r in reports %}"),
    ("p", "{{ loop.index }}. {{ r.title }}{% if r.description %}（{{ r.description }}）{% endif %}"),
    ("p", "合计：" + FIGURES.replace("FIGS", "r.total")),
    ("p", "{%p for row in r.rows %}"),
    ("p", "{% if row.rank %}第{{ row.rank }}名 {% endif %}{{ row.label }}："
          + FIGURES.replace("FIGS", "row.figures") + "{% if row.score %}；{{ r.ranking_label }} {{ row.score }}{% endif %}"),
    ("p", "{%p endfor %}"),
    ("p", "{%p endfor %}"),
    ("r", "{{ organization }}"),
    ("r", "{{ today | cn_date }}"),
]

if __name__ == "__main__":
    write(TARGET, LINES)
