"""chat response cache tree

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 13:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'chat_cache_nodes',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('content_item_id', sa.BigInteger(), nullable=False),
        sa.Column('prompt_key', sa.String(length=200), nullable=False),
        sa.Column('model', sa.String(length=100), nullable=False),
        sa.Column('parent_id', sa.BigInteger(), nullable=True),
        sa.Column('message_hash', sa.String(length=64), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('chunks', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('full_text', sa.Text(), nullable=False),
        sa.Column('hits', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('last_hit_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['content_item_id'], ['content_items.id'],
                                name=op.f('fk_chat_cache_nodes_content_item_id_content_items'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['parent_id'], ['chat_cache_nodes.id'],
                                name=op.f('fk_chat_cache_nodes_parent_id_chat_cache_nodes'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_cache_nodes')),
    )
    op.create_index('uq_chat_cache_nodes_key', 'chat_cache_nodes',
                    ['content_item_id', 'prompt_key', 'model', sa.text('coalesce(parent_id, 0)'),
                     'message_hash'], unique=True)
    op.create_index('ix_chat_cache_nodes_last_used', 'chat_cache_nodes',
                    [sa.text('coalesce(last_hit_at, created_at)')])
    op.create_index(op.f('ix_chat_cache_nodes_parent_id'), 'chat_cache_nodes', ['parent_id'])


def downgrade() -> None:
    op.drop_table('chat_cache_nodes')
