"""workspace evidence uploads

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 04:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'workspace_evidence',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('workspace_id', sa.Uuid(), nullable=False),
        sa.Column('block_id', sa.Uuid(), nullable=True),
        sa.Column('session_id', sa.Uuid(), nullable=True),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('file_name', sa.String(length=255), nullable=False),
        sa.Column('mime_type', sa.String(length=100), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('storage_key', sa.String(length=300), nullable=False),
        sa.Column('timestamp_ms', sa.BigInteger(), nullable=True),
        sa.Column('chunk_index', sa.Integer(), nullable=True),
        sa.Column('metadata', postgresql.JSONB(astext_type=sa.Text()), server_default='{}',
                  nullable=False),
        sa.Column('uploaded_by', sa.Uuid(), nullable=True),
        sa.Column('guest_user_id', sa.Uuid(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], ondelete='CASCADE',
                                name=op.f('fk_workspace_evidence_workspace_id_workspaces')),
        sa.ForeignKeyConstraint(['block_id'], ['workspace_blocks.id'], ondelete='SET NULL',
                                name=op.f('fk_workspace_evidence_block_id_workspace_blocks')),
        sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], ondelete='SET NULL',
                                name=op.f('fk_workspace_evidence_uploaded_by_users')),
        sa.ForeignKeyConstraint(
            ['guest_user_id'], ['organization_guests.id'], ondelete='SET NULL',
            name=op.f('fk_workspace_evidence_guest_user_id_organization_guests')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_workspace_evidence')),
    )
    op.create_index(op.f('ix_workspace_evidence_workspace_id'), 'workspace_evidence',
                    ['workspace_id'])


def downgrade() -> None:
    op.drop_table('workspace_evidence')
