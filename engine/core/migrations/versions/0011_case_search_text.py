"""case search text: the text of the data a process declares searchable (searchFields), kept on the case row

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Filled at each case's next step; a case that takes no further step is found by its number, title and fields.
    op.add_column('case_instance', sa.Column('search_text', sa.Text(), nullable=True))


def downgrade() -> None:
    # In place (SQLite 3.35+ drops a plain column): rebuilding the table would cascade to its tasks and records.
    op.drop_column('case_instance', 'search_text')
