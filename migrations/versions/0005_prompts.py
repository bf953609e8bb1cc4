"""prompts: versioned prompts, their dependencies, platform secrets

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 13:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'prompts',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('type', sa.String(length=10), server_default='text', nullable=False),
        sa.Column('prompt', sa.Text(), nullable=False),
        sa.Column('config', postgresql.JSONB(astext_type=sa.Text()),
                  server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column('labels', postgresql.ARRAY(sa.String(length=100)),
                  server_default=sa.text("'{}'"), nullable=False),
        sa.Column('tags', postgresql.ARRAY(sa.String(length=100)),
                  server_default=sa.text("'{}'"), nullable=False),
        sa.Column('commit_message', sa.Text(), nullable=True),
        sa.Column('created_by', sa.Uuid(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.CheckConstraint("type IN ('text', 'chat')", name=op.f('ck_prompts_type_valid')),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'],
                                name=op.f('fk_prompts_created_by_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_prompts')),
        sa.UniqueConstraint('name', 'version', name='uq_prompts_name_version'),
    )
    op.create_index(op.f('ix_prompts_created_by'), 'prompts', ['created_by'], unique=False)
    op.create_table(
        'prompt_dependencies',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('parent_id', sa.BigInteger(), nullable=False),
        sa.Column('child_name', sa.String(length=200), nullable=False),
        sa.Column('child_version', sa.Integer(), nullable=True),
        sa.Column('child_label', sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(['parent_id'], ['prompts.id'],
                                name=op.f('fk_prompt_dependencies_parent_id_prompts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_prompt_dependencies')),
    )
    op.create_index(op.f('ix_prompt_dependencies_child_name'), 'prompt_dependencies',
                    ['child_name'], unique=False)
    op.create_index(op.f('ix_prompt_dependencies_parent_id'), 'prompt_dependencies',
                    ['parent_id'], unique=False)
    op.create_table(
        'platform_secrets',
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('ciphertext', sa.LargeBinary(), nullable=False),
        sa.Column('preview', sa.String(length=40), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.PrimaryKeyConstraint('kind', name=op.f('pk_platform_secrets')),
    )


def downgrade() -> None:
    op.drop_table('platform_secrets')
    op.drop_index(op.f('ix_prompt_dependencies_parent_id'), table_name='prompt_dependencies')
    op.drop_index(op.f('ix_prompt_dependencies_child_name'), table_name='prompt_dependencies')
    op.drop_table('prompt_dependencies')
    op.drop_index(op.f('ix_prompts_created_by'), table_name='prompts')
    op.drop_table('prompts')
