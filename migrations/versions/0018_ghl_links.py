"""GHL score links, their transcripts and results

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'ghl_links',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('workspace_id', sa.Uuid(), nullable=False),
        sa.Column('block_id', sa.Uuid(), nullable=False),
        sa.Column('created_by', sa.Uuid(), nullable=True),
        sa.Column('guest_user_id', sa.Uuid(), nullable=True),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('token_ciphertext', sa.LargeBinary(), nullable=False),
        sa.Column('status', sa.String(length=20), server_default='pending', nullable=False),
        sa.Column('requested_duration_seconds', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('transcript', postgresql.JSONB(astext_type=sa.Text()),
                  server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column('overall_score', sa.Integer(), nullable=True),
        sa.Column('marker_scores', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column('gap_analysis', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column('analysis', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], ondelete='CASCADE',
                                name=op.f('fk_ghl_links_workspace_id_workspaces')),
        sa.ForeignKeyConstraint(['block_id'], ['workspace_blocks.id'], ondelete='CASCADE',
                                name=op.f('fk_ghl_links_block_id_workspace_blocks')),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'], ondelete='SET NULL',
                                name=op.f('fk_ghl_links_created_by_users')),
        sa.ForeignKeyConstraint(['guest_user_id'], ['organization_guests.id'],
                                ondelete='SET NULL',
                                name=op.f('fk_ghl_links_guest_user_id_organization_guests')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ghl_links')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_ghl_links_token_hash')),
    )
    op.create_index(op.f('ix_ghl_links_workspace_id'), 'ghl_links', ['workspace_id'])
    op.create_index(op.f('ix_ghl_links_guest_user_id'), 'ghl_links', ['guest_user_id'])


def downgrade() -> None:
    op.drop_table('ghl_links')
