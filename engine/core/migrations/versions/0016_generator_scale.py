"""scale (issue 23, part "generator"): indexes the inbox, the case search and a year's export use at a million
cases, found by the EXPLAINs of tests/perf/scale_bench.py

- human_task (assignee_id, status): my tasks; (completed_by, completed_at): what I did, newest first
- case_instance (created_at): the search's and the export's date range
- PostgreSQL only: trigram (pg_trgm, a trusted extension) GIN indexes on the four texts the case search matches
  with LIKE '%…%' (number, title, declared fields, searchable text), so a text search is not a scan of every case
  (not a jsonb index of the fields: a json value jsonb refuses, e.g. a lone surrogate escape, would then fail the
  step that writes it)
- human_task's inbox order is `due_at NULLS LAST, id`, so my tasks come in the order of (assignee_id, status,
  due_at, id) without sorting them all

Revision ID: 0016_generator_scale
Revises: 0015_ops_heartbeat
Create Date: 2026-12-05
"""
from alembic import op


revision = '0016_generator_scale'
down_revision = '0015_ops_heartbeat'
branch_labels = None
depends_on = None

# The case search's LIKE targets, as worklists._text_matches writes them (an expression index must match).
TRIGRAM_TARGETS = {
    'ix_case_instance_number_trgm': 'business_number',
    'ix_case_instance_title_trgm': 'title',
    'ix_case_instance_meta_trgm': '(CAST(meta AS TEXT))',
    'ix_case_instance_search_trgm': 'search_text',
}


def upgrade() -> None:
    op.create_index('ix_human_task_assignee', 'human_task', ['assignee_id', 'status', 'due_at', 'id'])
    op.create_index('ix_human_task_done', 'human_task', ['completed_by', 'completed_at'])
    op.create_index('ix_case_instance_created_at', 'case_instance', ['created_at'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        for name, target in TRIGRAM_TARGETS.items():
            op.execute(f'CREATE INDEX {name} ON case_instance USING gin ({target} gin_trgm_ops)')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for name in TRIGRAM_TARGETS:
            op.execute(f'DROP INDEX IF EXISTS {name}')
    op.drop_index('ix_case_instance_created_at', 'case_instance')
    op.drop_index('ix_human_task_done', 'human_task')
    op.drop_index('ix_human_task_assignee', 'human_task')
