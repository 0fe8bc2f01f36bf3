"""Write simple Word templates with python-docx, for the scripts that hold each procedure's template texts.

A template is a list of (kind, text) lines: h1 (the issuer, large), h2 (the title, larger), c (centred), p (a
paragraph), r (right-aligned, for signature and date). Placeholders are docxtpl/Jinja (see
engine/records/document_worker.py for what a document is filled with).
"""
from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

SIZES = {"h1": 18, "h2": 22}
ALIGN = {"h1": WD_ALIGN_PARAGRAPH.CENTER, "h2": WD_ALIGN_PARAGRAPH.CENTER, "c": WD_ALIGN_PARAGRAPH.CENTER,
         "r": WD_ALIGN_PARAGRAPH.RIGHT}


def write(path: Path, lines: list[tuple[str, str]]) -> None:
    """One template: headings bold and large, body plain, in the order given."""
    doc = Document()
    for kind, text in lines:
        paragraph = doc.add_paragraph()
        paragraph.alignment = ALIGN.get(kind)
        run = paragraph.add_run(text)
        run.bold = kind in SIZES
        if kind in SIZES:
            run.font.size = Pt(SIZES[kind])
    doc.save(path)


def write_all(folder: Path, templates: dict[str, list[tuple[str, str]]]) -> None:
    """Every template of a procedure into its forms folder."""
    for file_name, lines in templates.items():
        write(folder / file_name, lines)
