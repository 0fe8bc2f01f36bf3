"""monthly ledgers: the 月度台账 workbook and Word summary built for an organisation and a month

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('monthly_ledger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('audience', sa.String(length=64), nullable=False),
    sa.Column('report_keys', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('workbook', sa.LargeBinary(), nullable=True),
    sa.Column('summary', sa.LargeBinary(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('org_id', 'month', 'audience', name='uq_monthly_ledger')
    )
    with op.batch_alter_table('monthly_ledger', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monthly_ledger_org_id'), ['org_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('monthly_ledger', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monthly_ledger_org_id'))
    op.drop_table('monthly_ledger')
