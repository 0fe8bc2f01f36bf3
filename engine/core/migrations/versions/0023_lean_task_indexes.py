"""lean task indexes (issue 23): the indexes of my tasks and of what I did hold only the rows they are read for

- ix_human_task_assignee (assignee_id, status, due_at, id) only where a task is assigned; ix_human_task_done
  (completed_by, completed_at) and ix_human_task_done_created (completed_by, created_at, id) only where a task
  was completed by someone. Every query that reads them names the assignee or the user who completed the task
  (`= :user`), which both databases take as implying the column is not null.
- Before, every new task (unassigned, not completed) wrote an entry into each of the three, and completing it
  moved the entry: three index pages more to write on every step of every case, for entries no query reads.
  Measured on the benchmark's SQLite file: 0.03 ms of a completion's 0.7 ms.

Revision ID: 0023_lean_task_indexes
Revises: 0022_scale_timer_due
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


revision = '0023_lean_task_indexes'
down_revision = '0022_scale_timer_due'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_human_task_assignee', ['assignee_id', 'status', 'due_at', 'id'], 'assignee_id IS NOT NULL'),
    ('ix_human_task_done', ['completed_by', 'completed_at'], 'completed_by IS NOT NULL'),
    ('ix_human_task_done_created', ['completed_by', 'created_at', 'id'], 'completed_by IS NOT NULL'),
)


def upgrade() -> None:
    for name, columns, where in INDEXES:
        op.drop_index(name, 'human_task')
        op.create_index(name, 'human_task', columns, postgresql_where=sa.text(where), sqlite_where=sa.text(where))


def downgrade() -> None:
    for name, columns, _where in INDEXES:
        op.drop_index(name, 'human_task')
        op.create_index(name, 'human_task', columns)
