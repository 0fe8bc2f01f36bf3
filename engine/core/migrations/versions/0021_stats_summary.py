"""stats summary (issue 20, part "stats-summary"): the stored summary the reports read at a million cases

- report_summary: per report definition (digest), organisation, China month, measure and group value, the two
  sums its figure is made of (engine/work/report_summary.py)
- report_summary_unit: which months of an organisation's cases of a process are summarised, and for which report
  definitions; a refresh locks its row (FOR UPDATE SKIP LOCKED), so several schedulers summarise a month once
- report_summary_stale: the cases changed since their month was summarised, written by triggers on case_instance
  and human_task in the same transaction as the change (the organisation and month a case counted in before a
  move too); the reports count those months live until a refresh
- human_task (element_id, due_at, case_id) where ready, and (element_id, case_id) where not completed: the open
  steps the reports count live over summarised months (overdue at the moment of reading, time spent so far)

Revision ID: 0021_stats_summary
Revises: 0020_export_speed
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


revision = '0021_stats_summary'
down_revision = '0020_export_speed'
branch_labels = None
depends_on = None

_PG_MONTH = "to_char(timezone('Asia/Shanghai', {0}.created_at), 'YYYY-MM')"
_PG_MARK = """
CREATE FUNCTION report_summary_mark() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'case_instance' THEN
        IF TG_OP <> 'DELETE' AND NEW.org_id IS NOT NULL THEN
            INSERT INTO report_summary_stale (case_id, org_id, month, process_key)
            VALUES (NEW.id, NEW.org_id, {new}, NEW.process_key)
            ON CONFLICT (case_id, org_id, month) DO UPDATE SET process_key = EXCLUDED.process_key;
        END IF;
        IF TG_OP <> 'INSERT' AND OLD.org_id IS NOT NULL AND (TG_OP = 'DELETE' OR
                (OLD.org_id, OLD.created_at, OLD.process_key) IS DISTINCT FROM
                (NEW.org_id, NEW.created_at, NEW.process_key)) THEN
            INSERT INTO report_summary_stale (case_id, org_id, month, process_key)
            VALUES (OLD.id, OLD.org_id, {old}, OLD.process_key)
            ON CONFLICT (case_id, org_id, month) DO UPDATE SET process_key = EXCLUDED.process_key;
        END IF;
    ELSE
        INSERT INTO report_summary_stale (case_id, org_id, month, process_key)
        SELECT c.id, c.org_id, {case}, c.process_key FROM case_instance c
        WHERE c.id = (CASE WHEN TG_OP = 'DELETE' THEN OLD.case_id ELSE NEW.case_id END) AND c.org_id IS NOT NULL
        ON CONFLICT (case_id, org_id, month) DO UPDATE SET process_key = EXCLUDED.process_key;
    END IF;
    RETURN NULL;
END $$
""".format(new=_PG_MONTH.format("NEW"), old=_PG_MONTH.format("OLD"), case=_PG_MONTH.format("c"))
# A conflicting mark is updated, not skipped: the update waits for a refresh that is deleting the mark (and the
# refresh for a writer holding it), so a change is either counted by the refresh or marked after it.
_CASE_COLUMNS = "status, meta, org_id, created_at, process_key"
_TASK_COLUMNS = "case_id, element_id, status, created_at, due_at, completed_at"

_SQLITE_MONTH = "strftime('%Y-%m', {0}.created_at, '+8 hours')"
_SQLITE_MARK = ("INSERT OR IGNORE INTO report_summary_stale (case_id, org_id, month, process_key) "
                "SELECT {row}.id, {row}.org_id, " + _SQLITE_MONTH + ", {row}.process_key WHERE {row}.org_id IS NOT NULL;")
_SQLITE_TASK = ("INSERT OR IGNORE INTO report_summary_stale (case_id, org_id, month, process_key) "
                "SELECT c.id, c.org_id, " + _SQLITE_MONTH.format("c") + ", c.process_key FROM case_instance c "
                "WHERE c.id = {row}.case_id AND c.org_id IS NOT NULL;")
_SQLITE_TRIGGERS = {
    "report_summary_case_insert": f"AFTER INSERT ON case_instance BEGIN {_SQLITE_MARK.format('NEW', row='NEW')} END",
    "report_summary_case_update": (f"AFTER UPDATE OF {_CASE_COLUMNS} ON case_instance BEGIN "
                                   f"{_SQLITE_MARK.format('NEW', row='NEW')} {_SQLITE_MARK.format('OLD', row='OLD')} END"),
    "report_summary_case_delete": f"AFTER DELETE ON case_instance BEGIN {_SQLITE_MARK.format('OLD', row='OLD')} END",
    "report_summary_task_insert": f"AFTER INSERT ON human_task BEGIN {_SQLITE_TASK.format(row='NEW')} END",
    "report_summary_task_update": (f"AFTER UPDATE OF {_TASK_COLUMNS} ON human_task BEGIN "
                                   f"{_SQLITE_TASK.format(row='NEW')} {_SQLITE_TASK.format(row='OLD')} END"),
    "report_summary_task_delete": f"AFTER DELETE ON human_task BEGIN {_SQLITE_TASK.format(row='OLD')} END",
}


def upgrade() -> None:
    op.create_table(
        'report_summary',
        sa.Column('definition_hash', sa.String(length=64), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('measure', sa.String(length=200), nullable=False),
        sa.Column('group_key', sa.Text(), nullable=False),
        sa.Column('hits', sa.Float(), nullable=False),
        sa.Column('base', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('definition_hash', 'org_id', 'month', 'measure', 'group_key'))
    op.create_table(
        'report_summary_unit',
        sa.Column('process_key', sa.String(length=200), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('definitions', sa.JSON(), nullable=False),
        sa.Column('summarised_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('process_key', 'org_id', 'month'))
    op.create_table(
        'report_summary_stale',
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('process_key', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('case_id', 'org_id', 'month'))
    op.create_index('ix_report_summary_stale_unit', 'report_summary_stale', ['process_key', 'org_id', 'month'])
    # The open steps the reports count live over summarised months (overdue now, time spent so far): few rows.
    op.create_index('ix_human_task_ready_step', 'human_task', ['element_id', 'due_at', 'case_id'],
                    postgresql_where=sa.text("status = 'ready'"), sqlite_where=sa.text("status = 'ready'"))
    op.create_index('ix_human_task_open_step', 'human_task', ['element_id', 'case_id'],
                    postgresql_where=sa.text("completed_at IS NULL"), sqlite_where=sa.text("completed_at IS NULL"))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(_PG_MARK)
        op.execute(f"CREATE TRIGGER report_summary_case AFTER INSERT OR DELETE OR UPDATE OF {_CASE_COLUMNS} "
                   "ON case_instance FOR EACH ROW EXECUTE FUNCTION report_summary_mark()")
        op.execute(f"CREATE TRIGGER report_summary_task AFTER INSERT OR DELETE OR UPDATE OF {_TASK_COLUMNS} "
                   "ON human_task FOR EACH ROW EXECUTE FUNCTION report_summary_mark()")
    else:
        for name, body in _SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER report_summary_task ON human_task")
        op.execute("DROP TRIGGER report_summary_case ON case_instance")
        op.execute("DROP FUNCTION report_summary_mark()")
    else:
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_index('ix_human_task_open_step', table_name='human_task')
    op.drop_index('ix_human_task_ready_step', table_name='human_task')
    op.drop_index('ix_report_summary_stale_unit', table_name='report_summary_stale')
    op.drop_table('report_summary_stale')
    op.drop_table('report_summary_unit')
    op.drop_table('report_summary')
