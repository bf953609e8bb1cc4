"""sliding-window rate limits: each key keeps the times of its hits in the window

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 04:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fixed-window counts cannot become hit times; limits simply start afresh.
    op.drop_table('rate_limit_counters')
    op.create_table(
        'rate_limit_hits',
        sa.Column('key', sa.String(length=300), nullable=False),
        sa.Column('hits', postgresql.ARRAY(sa.DateTime(timezone=True)), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit_hits')),
    )


def downgrade() -> None:
    op.drop_table('rate_limit_hits')
    op.create_table(
        'rate_limit_counters',
        sa.Column('key', sa.String(length=300), nullable=False),
        sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit_counters')),
    )
