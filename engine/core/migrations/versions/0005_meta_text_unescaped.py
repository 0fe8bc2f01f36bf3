"""meta text unescaped: a case's declared fields written before JSON columns kept Chinese as it is are rewritten so

Keyword search matches the text of `case_instance.meta`; rows the json module wrote hold `\\u4e2d\\u6587` where a
search looks for 中文. The values are the same; only their text changes. Downgrading leaves them as they are
(both spellings are the same JSON).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""
import json

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade() -> None:
    bind = op.get_bind()
    assign = "CAST(:meta AS JSON)" if bind.dialect.name == "postgresql" else ":meta"
    last = 0
    while True:
        rows = bind.execute(sa.text(
            "SELECT id, CAST(meta AS TEXT) AS meta FROM case_instance WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": BATCH}).all()
        if not rows:
            return
        last = rows[-1].id
        changed = [{"id": row.id, "meta": _unescaped(row.meta)} for row in rows if row.meta and "\\u" in row.meta]
        changed = [row for row in changed if row["meta"] is not None]
        if changed:
            bind.execute(sa.text(f"UPDATE case_instance SET meta = {assign} WHERE id = :id"), changed)


def _unescaped(text: str) -> str | None:
    """The same JSON with non-ASCII characters as they are (None if the text is not JSON, or has nothing to do)."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    written = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        written.encode("utf-8")     # a lone surrogate stays escaped: no database stores it as text
    except UnicodeEncodeError:
        return None
    return written if written != text and "\x00" not in written else None


def downgrade() -> None:
    pass
