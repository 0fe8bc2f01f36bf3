"""meta fields cost: lawflow_meta_fields (0017) declared costly, so a scan runs it last

Inlined, the function looked as cheap as a comparison. Where the planner reads a process's cases rather than the
index (a table it believes small: a young database, or cases written in the same transaction, as when a campaign's
部署 step starts a thousand applications that each look for related cases), it ran the function on every row: 5 ms
per lookup at a thousand cases, growing with the square of them. Not inlined (a SET clause forbids it) and declared
costly, it comes after the cheap `->>` comparisons that engine/core/meta_fields.py now writes beside it, and runs
only on the rows they let through. Same body, same results: the index stays valid.

Revision ID: 0019_meta_fields_cost
Revises: 0018_documents
Create Date: 2026-12-05
"""
from alembic import op


revision = '0019_meta_fields_cost'
down_revision = '0018_documents'
branch_labels = None
depends_on = None

BODY = r"""
  SELECT CASE
    WHEN meta IS NULL OR json_typeof(meta) <> 'object' THEN NULL
    WHEN CAST(meta AS text) ~ '(^|[^\\])(\\\\)*\\u[dD][89a-fA-F]' THEN NULL
    ELSE (SELECT coalesce(jsonb_object_agg(key, value), '{}'::jsonb) FROM json_each_text(meta))
  END
"""


def _define(options: str) -> None:
    op.execute(f"CREATE OR REPLACE FUNCTION lawflow_meta_fields(meta json) RETURNS jsonb "
               f"LANGUAGE sql IMMUTABLE PARALLEL SAFE {options} AS $${BODY}$$")


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        _define("COST 10000 SET search_path = pg_catalog")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER FUNCTION lawflow_meta_fields(json) RESET search_path")
        op.execute("ALTER FUNCTION lawflow_meta_fields(json) COST 100")
