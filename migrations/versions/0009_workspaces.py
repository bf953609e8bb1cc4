"""performance workspaces, their blocks and files

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        'workspaces',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('organization_id', sa.Uuid(), nullable=True),
        sa.Column('owner_user_id', sa.Uuid(), nullable=True),
        sa.Column('guest_user_id', sa.Uuid(), nullable=True),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('root_topic', sa.Text(), nullable=False),
        sa.Column('initial_prompt', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=20), server_default='active', nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ondelete='CASCADE',
                                name=op.f('fk_workspaces_organization_id_organizations')),
        sa.ForeignKeyConstraint(['owner_user_id'], ['users.id'], ondelete='SET NULL',
                                name=op.f('fk_workspaces_owner_user_id_users')),
        sa.ForeignKeyConstraint(['guest_user_id'], ['organization_guests.id'],
                                ondelete='SET NULL',
                                name=op.f('fk_workspaces_guest_user_id_organization_guests')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_workspaces')),
    )
    op.create_index(op.f('ix_workspaces_organization_id'), 'workspaces', ['organization_id'])
    op.create_index(op.f('ix_workspaces_owner_user_id'), 'workspaces', ['owner_user_id'])
    op.create_table(
        'workspace_blocks',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('workspace_id', sa.Uuid(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('description', sa.Text(), server_default='', nullable=False),
        sa.Column('is_start', sa.Boolean(), server_default=sa.text('false'), nullable=False),
        sa.Column('status', sa.String(length=20), server_default='available', nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], ondelete='CASCADE',
                                name=op.f('fk_workspace_blocks_workspace_id_workspaces')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_workspace_blocks')),
    )
    op.create_index(op.f('ix_workspace_blocks_workspace_id'), 'workspace_blocks',
                    ['workspace_id'])
    op.create_table(
        'workspace_files',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('workspace_id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('mime_type', sa.String(length=100), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('storage_key', sa.String(length=300), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], ondelete='CASCADE',
                                name=op.f('fk_workspace_files_workspace_id_workspaces')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_workspace_files')),
    )
    op.create_index(op.f('ix_workspace_files_workspace_id'), 'workspace_files',
                    ['workspace_id'])


def downgrade() -> None:
    op.drop_table('workspace_files')
    op.drop_table('workspace_blocks')
    op.drop_table('workspaces')
