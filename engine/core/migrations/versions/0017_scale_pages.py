"""scale pages (issue 23): the indexes a county user's inbox, related cases and done list use at a million cases,
found by the EXPLAINs of tests/perf/scale_bench.py

- human_task (completed_by, created_at, id): what I did, sorted by when the task arrived (newest or oldest first)
  without sorting all of it
- human_task (owner_id, status) where an owner is set (only delegated tasks have one): the delegated view and its
  count, which otherwise read every ready task
- case_instance (created_at, org_id, id): a date range's case ids and organisations from the index alone (the
  case search takes a page's ids first, then reads only those rows)
- PostgreSQL only:
  - lawflow_meta_fields(meta): a case's declared fields as a jsonb object of the texts `meta ->> name` reads, and a
    GIN index of it, so related cases (same complainant, same respondent) are one containment test
    (engine/core/meta_fields.py) rather than a scan of the process's cases. A row whose meta holds a lone
    surrogate escape (old data; PostgreSQL's JSON functions refuse it) gets NULL: it is not indexed and the
    index can be built and written whatever a row holds.
  - a trigram index of the group inbox's named candidates (`CAST(candidate_users AS TEXT) LIKE '%"name"%'`) over
    the ready, unassigned tasks, so the group view's "my role or named" condition is a BitmapOr of two index scans

Revision ID: 0017_scale_pages
Revises: 0016_generator_scale
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


revision = '0017_scale_pages'
down_revision = '0016_generator_scale'
branch_labels = None
depends_on = None

# json_typeof and CAST(meta AS text) read the text without decoding escapes; json_each_text decodes them, so it
# runs only where no \uD800-\uDFFF escape (one not itself escaped by a backslash) is present.
META_FIELDS_FUNCTION = r"""
CREATE OR REPLACE FUNCTION lawflow_meta_fields(meta json) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN meta IS NULL OR json_typeof(meta) <> 'object' THEN NULL
    WHEN CAST(meta AS text) ~ '(^|[^\\])(\\\\)*\\u[dD][89a-fA-F]' THEN NULL
    ELSE (SELECT coalesce(jsonb_object_agg(key, value), '{}'::jsonb) FROM json_each_text(meta))
  END
$$
"""


def upgrade() -> None:
    op.create_index('ix_human_task_done_created', 'human_task', ['completed_by', 'created_at', 'id'])
    op.create_index('ix_case_instance_created_org', 'case_instance', ['created_at', 'org_id', 'id'])
    op.create_index('ix_human_task_owner', 'human_task', ['owner_id', 'status'],
                    postgresql_where=sa.text('owner_id IS NOT NULL'), sqlite_where=sa.text('owner_id IS NOT NULL'))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(META_FIELDS_FUNCTION)
        op.execute('CREATE INDEX ix_case_instance_meta_fields ON case_instance '
                   'USING gin (lawflow_meta_fields(meta) jsonb_path_ops)')
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.execute("CREATE INDEX ix_human_task_named_trgm ON human_task "
                   "USING gin ((CAST(candidate_users AS TEXT)) gin_trgm_ops) "
                   "WHERE status = 'ready' AND assignee_id IS NULL")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_human_task_named_trgm')
        op.execute('DROP INDEX IF EXISTS ix_case_instance_meta_fields')
        op.execute('DROP FUNCTION IF EXISTS lawflow_meta_fields(json)')
    op.drop_index('ix_human_task_owner', 'human_task')
    op.drop_index('ix_case_instance_created_org', 'case_instance')
    op.drop_index('ix_human_task_done_created', 'human_task')
