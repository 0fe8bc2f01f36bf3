"""administration: an organisation can be deactivated; a user can be made to change a password an administrator set;
an API token can expire

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD/DROP COLUMN (SQLite 3.35+ has both): a batch copy of these tables would trip their foreign keys.
    op.add_column('organization', sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column('user_account', sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                            server_default=sa.false()))
    op.add_column('api_token', sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('api_token', 'expires_at')
    op.drop_column('user_account', 'must_change_password')
    op.drop_column('organization', 'active')
