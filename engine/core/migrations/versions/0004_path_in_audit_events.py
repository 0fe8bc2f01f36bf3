"""path in audit events: a case's finished elements move from case_step into the audit row of the change

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""
from datetime import datetime, timezone
from itertools import groupby

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

audit_event = sa.table(
    'audit_event', sa.column('id', sa.Integer()), sa.column('case_id', sa.Integer()),
    sa.column('actor', sa.String()), sa.column('at', sa.DateTime(timezone=True)), sa.column('action', sa.String()),
    sa.column('detail', sa.JSON()), sa.column('steps', sa.JSON(none_as_null=True)),
)
case_step = sa.table(
    'case_step', sa.column('id', sa.Integer()), sa.column('case_id', sa.Integer()),
    sa.column('element_id', sa.String()), sa.column('name', sa.String()), sa.column('kind', sa.String()),
    sa.column('finished_at', sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('steps', sa.JSON(none_as_null=True), nullable=True))

    _steps_into_audit_events(op.get_bind())
    with op.batch_alter_table('case_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_step_case_id'))

    op.drop_table('case_step')
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_human_task_case_status'))


def downgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_human_task_case_status'), ['case_id', 'status'], unique=False)

    op.create_table('case_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('element_id', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_instance.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('case_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_step_case_id'), ['case_id'], unique=False)

    _audit_events_into_steps(op.get_bind())
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('steps')


def _steps_into_audit_events(conn) -> None:
    """Each case's existing path goes, with each step's own moment, into the case's first audit event.

    The first event sorts before every event written after the upgrade, so the path keeps its order.
    """
    rows = conn.execute(sa.select(case_step).order_by(case_step.c.case_id, case_step.c.id)
                        .execution_options(yield_per=2000))
    for case_id, steps in groupby(rows, key=lambda r: r.case_id):
        path = [{"element_id": s.element_id, "name": s.name, "kind": s.kind,
                 "finished_at": _aware(s.finished_at).isoformat()} for s in steps]
        first = conn.scalar(sa.select(sa.func.min(audit_event.c.id)).where(audit_event.c.case_id == case_id))
        if first is None:
            conn.execute(audit_event.insert().values(
                case_id=case_id, actor="system", at=_stored(conn, datetime.fromisoformat(path[0]["finished_at"])),
                action="path_recorded", detail={}, steps=path))
        else:
            conn.execute(audit_event.update().where(audit_event.c.id == first).values(steps=path))


def _audit_events_into_steps(conn) -> None:
    rows = conn.execute(sa.select(audit_event.c.case_id, audit_event.c.at, audit_event.c.steps)
                        .where(audit_event.c.steps.is_not(None)).order_by(audit_event.c.id)).all()
    for case_id, at, steps in rows:
        for step in steps:
            finished = datetime.fromisoformat(step["finished_at"]) if "finished_at" in step else _aware(at)
            conn.execute(case_step.insert().values(case_id=case_id, element_id=step["element_id"], name=step["name"],
                                                   kind=step["kind"], finished_at=_stored(conn, finished)))


def _aware(value: datetime) -> datetime:
    """A moment as read back: SQLite gives naive UTC, PostgreSQL an aware moment."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _stored(conn, value: datetime) -> datetime:
    """A moment as the engine stores it: naive UTC on SQLite."""
    return value.replace(tzinfo=None) if conn.dialect.name == "sqlite" else value
