"""Data at scale: what a generated case changes in the texts it copies from its template case — its business
number, every date moved back (also as 2025年10月13日, as documents write them), SpiffWorkflow's time stamps and
its phone numbers — and its filled documents, copied with those changes, stored compact as the engine stores them,
each with the sha256 of the whole document it makes (`engine/work/generator.py` writes the copies)."""
from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from ..core.models import Case
from ..definitions.bundles import bundle_file
from ..records import document_packing, documents
from ..records.document_worker import _cn_date as cn_date

# What moves in a text: an ISO moment, a date, SpiffWorkflow's epoch stamps, a mobile number.
_TOKENS = re.compile(
    r"(?P<moment>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[+-]\d{2}:\d{2}|Z)?)"
    r"|(?P<day>(?<!\d)\d{4}-\d{2}-\d{2}(?!\d))"
    r"|(?P<cn_day>(?<!\d)\d{4}\u5e74\d{1,2}\u6708\d{1,2}\u65e5)"     # 2025年10月13日, as cn_date writes
    r"|(?<=\"last_state_change\":)(?P<stamp>\d+(?:\.\d+)?)"
    r"|(?P<phone>(?<!\d)1[3-9]\d{9}(?!\d))")
NUMBER = object()        # where a copy's business number goes


def _shift_token(kind: str, token: str, back: timedelta):
    if kind == "moment":
        zulu = token.endswith("Z")
        moment = datetime.fromisoformat(token[:-1] + "+00:00" if zulu else token) - back
        clock = re.split(r"[+Z-]", token[10:])[0]
        spec = "microseconds" if "." in clock else "seconds" if clock.count(":") == 2 else "minutes"
        shifted = moment.isoformat(timespec=spec)
        return shifted[:-6] + "Z" if zulu else shifted
    if kind == "day":
        return (date.fromisoformat(token) - timedelta(days=back.days)).isoformat()
    if kind == "cn_day":
        year, month, day = map(int, re.findall(r"\d+", token))
        moved = date(year, month, day) - timedelta(days=back.days)
        return cn_date(moved)
    if kind == "stamp":
        decimals = len(token.split(".")[1]) if "." in token else 0
        return f"{float(token) - back.total_seconds():.{decimals}f}"
    return ("phone", token)


def tokens(value: str, number: str | None):
    """A text split once into literal pieces and what moves: (kind, token) pairs and NUMBER; a str if nothing."""
    pieces = value.split(number) if number and number in value else [value]
    parts: list = []
    for i, piece in enumerate(pieces):
        if i:
            parts.append(NUMBER)
        pos = 0
        for match in _TOKENS.finditer(piece):
            parts.append(piece[pos:match.start()])
            parts.append((match.lastgroup, match.group()))
            pos = match.end()
        parts.append(piece[pos:])
    return value if len(parts) == 1 else parts


def shift_parts(parts: list, back: timedelta, shifted: dict):
    """Tokenized text re-dated: a str, or a list of str and the markers a copy fills (NUMBER, phones)."""
    out: list = []
    for part in parts:
        if isinstance(part, tuple):
            if part not in shifted:
                shifted[part] = _shift_token(part[0], part[1], back)
            part = shifted[part]
        if isinstance(part, str) and out and isinstance(out[-1], str):
            out[-1] += part
        else:
            out.append(part)
    return out[0] if len(out) == 1 and isinstance(out[0], str) else out


class FilledDocument:
    """A filled document of a template case: its compact parts, their texts tokenized (the number, dates and
    phones a copy changes, as in the other texts), and its template, for the sha256 of the whole document."""

    def __init__(self, template: bytes, content: bytes, texts: dict | None = None, base=None) -> None:
        self.template, self.content, self.texts = template, content, texts or {}
        self.parts = document_packing.parts(content)
        self.order = document_packing.order(content)
        self.comment = document_packing.MARK + "\n".join(self.order).encode("utf-8")
        self.base = base or {p.name: p for p in document_packing.parts(template)}   # the template's, parsed once

    def tokenized(self, number: str | None) -> FilledDocument:
        return FilledDocument(self.template, self.content, {
            p.name: tokens(document_packing.inflate(p).decode("utf-8"), number) for p in self.parts
            if p.name.endswith(".xml")}, self.base)

    def shifted(self, back: timedelta, shifted: dict) -> FilledDocument:
        return FilledDocument(self.template, self.content, {
            name: shift_parts(parts, back, shifted) if isinstance(parts, list) else parts
            for name, parts in self.texts.items()}, self.base)

    def made(self, copy) -> tuple[str, str]:
        """The copy's document (`copy.text` fills its markers): its content as COPY text, and its sha256 (that of
        the whole, as `expand` makes it)."""
        found = [document_packing.text_part(p, copy.text(self.texts[p.name]))
                 if isinstance(self.texts.get(p.name), list) else p for p in self.parts]
        own = {p.name: p for p in found}
        whole = document_packing.assemble([own.get(name) or self.base[name] for name in self.order])
        return "\\\\x" + document_packing.assemble(found, self.comment).hex(), hashlib.sha256(whole).hexdigest()


class Made:
    """Where a copy's filled document goes in its row: its content, or (`sha`) its sha256."""

    def __init__(self, filled: FilledDocument, sha: bool) -> None:
        self.filled, self.sha = filled, sha


def read_filled(session: Session, doc: dict) -> None:
    """A template case's document row as read: compact filled content becomes a FilledDocument, with its
    template, to give each copy its own sha256."""
    if document_packing.is_compact(doc["content"]):
        doc["content"] = FilledDocument(bundle_file(session, doc["bundle_id"], doc["template"]),
                                        bytes(doc["content"]))


def made(row: dict) -> dict:
    """A document row whose content and sha256 each copy makes (other rows as they are)."""
    if isinstance(row.get("content"), FilledDocument):
        row["content"], row["sha256"] = Made(row["content"], False), Made(row["content"], True)
    return row


def documents_filled(session: Session, case: Case) -> bool:
    """Whether every document of a case is filled, each whole document the one its sha256 names."""
    for doc in documents.case_documents(session, case.id):
        if doc.status == "pending":
            return False
        if doc.status == "ready":
            whole = documents.whole(session, doc)
            if hashlib.sha256(whole).hexdigest() != doc.sha256:
                return False
    return True
