"""case access: the users a case names on its tasks, who may see it outside their organisation subtree

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new table only: case_instance is left as it is (on SQLite, recreating it would cascade, see 0007).
    op.create_table('case_access',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_instance.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'case_id')
    )
    with op.batch_alter_table('case_access', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_access_case_id'), ['case_id'], unique=False)
    _backfill(op.get_bind())


def _backfill(bind) -> None:
    """The people existing tasks already name: their assignees and owners, and the users they list."""
    for column, reason in (('assignee_id', 'claimed'), ('owner_id', 'delegated')):
        bind.execute(sa.text(
            f"INSERT INTO case_access (user_id, case_id, granted_at, reason) "
            f"SELECT DISTINCT t.{column}, t.case_id, CURRENT_TIMESTAMP, '{reason}' FROM human_task t "
            f"WHERE t.{column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM case_access a "
            f"WHERE a.user_id = t.{column} AND a.case_id = t.case_id)"))
    users = dict(bind.execute(sa.text("SELECT username, id FROM user_account")).all())
    named = sa.table('human_task', sa.column('case_id', sa.Integer()), sa.column('candidate_users', sa.JSON()))
    known = {tuple(row) for row in bind.execute(sa.text("SELECT user_id, case_id FROM case_access"))}
    rows = []
    for case_id, names in bind.execute(sa.select(named.c.case_id, named.c.candidate_users)
                                       .where(named.c.candidate_users.is_not(None))):
        for user_id in {users[n] for n in names or () if n in users}:
            if (user_id, case_id) not in known:
                known.add((user_id, case_id))
                rows.append({"user_id": user_id, "case_id": case_id, "reason": "named"})
    if rows:
        bind.execute(sa.text("INSERT INTO case_access (user_id, case_id, granted_at, reason) "
                             "VALUES (:user_id, :case_id, CURRENT_TIMESTAMP, :reason)"), rows)


def downgrade() -> None:
    with op.batch_alter_table('case_access', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_access_case_id'))
    op.drop_table('case_access')
