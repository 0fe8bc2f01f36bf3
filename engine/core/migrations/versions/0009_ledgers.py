"""ledgers: rows of imported records and the imports that brought them

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ledger_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ledger_key', sa.String(length=64), nullable=False),
    sa.Column('bundle_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=300), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rows_added', sa.Integer(), nullable=False),
    sa.Column('rows_unchanged', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['bundle_id'], ['bundle.id']),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ledger_import', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_import_ledger', ['ledger_key', 'id'], unique=False)

    op.create_table('ledger_row',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ledger_key', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('period_on', sa.Date(), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['ledger_import.id']),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ledger_key', 'key', name='uq_ledger_row_key')
    )
    with op.batch_alter_table('ledger_row', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_row_org_period', ['ledger_key', 'org_id', 'period_on'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ledger_row', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_row_org_period')
    op.drop_table('ledger_row')
    with op.batch_alter_table('ledger_import', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_import_ledger')
    op.drop_table('ledger_import')
