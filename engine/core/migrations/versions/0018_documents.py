"""documents (issue 23, part "documents"): a pending document is claimed by the one filling it

- case_document.claimed_by, claimed_until: the claim's token and the moment it expires (engine/records/
  document_claims.py), so several schedulers fill a document once and a dead filler's claim is taken over

Revision ID: 0018_documents
Revises: 0017_scale_pages
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


revision = '0018_documents'
down_revision = '0017_scale_pages'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case_document') as batch:
        batch.add_column(sa.Column('claimed_by', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('case_document') as batch:
        batch.drop_column('claimed_until')
        batch.drop_column('claimed_by')
