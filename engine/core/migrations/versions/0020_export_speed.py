"""export speed (issue 23): the single-column index of a case's creation moment goes

- ix_case_instance_created_at (created_at) is the leading column of ix_case_instance_created_org (created_at,
  org_id, id, 0017): every date range and every order by creation moment the one answers, the other answers too
  (the EXPLAINs of tests/perf/scale_bench.py at a million cases use the composite one), and each index costs every
  case written

Revision ID: 0020_export_speed
Revises: 0019_meta_fields_cost
Create Date: 2026-12-05
"""
from alembic import op


revision = '0020_export_speed'
down_revision = '0019_meta_fields_cost'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_case_instance_created_at', 'case_instance', if_exists=True)


def downgrade() -> None:
    op.create_index('ix_case_instance_created_at', 'case_instance', ['created_at'], if_not_exists=True)
