"""scale timer due (issue 23): the timer sweep's claim reads its batch in index order

- ix_case_instance_timer_due (status, next_timer_at, id): the claim (engine/runtime/timers.py: running cases due
  by now, earliest first, a batch at a time with FOR UPDATE SKIP LOCKED) reads its batch of 50 from the index in
  its own order. With the index of next_timer_at alone, PostgreSQL read every due case of a backlog (and every
  running case's entry of ix_case_status_org) and sorted them, for each batch: 12.5 ms a batch with 8,000 due, so
  the sweep's database work grew with the square of the backlog (one sweeper, 2,000 due: 0.24 ms of its backend's
  CPU per timer; 8,000: 0.39)
- ix_case_instance_next_timer_at goes: every query of next_timer_at names the case's status too, and each index
  costs every step that moves a case's next timer

Revision ID: 0022_scale_timer_due
Revises: 0021_stats_summary
Create Date: 2026-12-05
"""
from alembic import op


revision = '0022_scale_timer_due'
down_revision = '0021_stats_summary'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_case_instance_timer_due', 'case_instance', ['status', 'next_timer_at', 'id'])
    op.drop_index('ix_case_instance_next_timer_at', 'case_instance', if_exists=True)


def downgrade() -> None:
    op.create_index('ix_case_instance_next_timer_at', 'case_instance', ['next_timer_at'], if_not_exists=True)
    op.drop_index('ix_case_instance_timer_due', 'case_instance')
