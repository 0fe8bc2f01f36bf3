"""campaigns and draws: a case's parent (a campaign's participants), messages between cases, recorded draws

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain column (no foreign key): on SQLite a constraint would mean copying the table, and dropping the old
    # copy would cascade to every task and event of every case.
    op.add_column('case_instance', sa.Column('parent_id', sa.Integer(), nullable=True))
    op.create_index(op.f('ix_case_instance_parent_id'), 'case_instance', ['parent_id'], unique=False)

    op.create_table('case_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender_case_id', sa.Integer(), nullable=True),
    sa.Column('target_case_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['sender_case_id'], ['case_instance.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['target_case_id'], ['case_instance.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('case_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_message_target_case_id'), ['target_case_id'], unique=False)
        batch_op.create_index('ix_case_message_status', ['status', 'id'], unique=False)

    op.create_table('random_draw',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('algorithm', sa.String(length=32), nullable=False),
    sa.Column('seed', sa.String(length=128), nullable=False),
    sa.Column('pool', sa.JSON(), nullable=False),
    sa.Column('criteria', sa.JSON(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('drawn_by', sa.String(length=64), nullable=False),
    sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case_instance.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('random_draw', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_random_draw_case_id'), ['case_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('random_draw', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_random_draw_case_id'))
    op.drop_table('random_draw')
    with op.batch_alter_table('case_message', schema=None) as batch_op:
        batch_op.drop_index('ix_case_message_status')
        batch_op.drop_index(batch_op.f('ix_case_message_target_case_id'))
    op.drop_table('case_message')
    op.drop_index(op.f('ix_case_instance_parent_id'), table_name='case_instance')
    op.drop_column('case_instance', 'parent_id')      # SQLite 3.35+ drops a plain column in place
