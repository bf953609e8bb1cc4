"""reading platform: the adaptive content engine's caches

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 04:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _common() -> list[sa.Column]:
    return [sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
            sa.Column('book_id', sa.String(length=40), nullable=False)]


def _created() -> sa.Column:
    return sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                     nullable=False)


def upgrade() -> None:
    op.create_table(
        'reading_leveled_pages', *_common(),
        sa.Column('page_number', sa.Integer(), nullable=False),
        sa.Column('source_hash', sa.String(length=64), nullable=False),
        sa.Column('target_fk', sa.Float(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('actual_fk', sa.Float(), nullable=False),
        _created(),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reading_leveled_pages')),
    )
    op.create_index('ix_reading_leveled_pages_lookup', 'reading_leveled_pages',
                    ['book_id', 'page_number', 'source_hash', 'target_fk'])
    op.create_table(
        'reading_adaptations', *_common(),
        sa.Column('target_fk_grade', sa.Float(), nullable=False),
        sa.Column('pages', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        _created(),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reading_adaptations')),
    )
    op.create_index('ix_reading_adaptations_lookup', 'reading_adaptations',
                    ['book_id', 'target_fk_grade'])


def downgrade() -> None:
    op.drop_index('ix_reading_adaptations_lookup', table_name='reading_adaptations')
    op.drop_table('reading_adaptations')
    op.drop_index('ix_reading_leveled_pages_lookup', table_name='reading_leveled_pages')
    op.drop_table('reading_leveled_pages')
