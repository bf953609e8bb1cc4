"""per-viewer GraphQL query budgets: points spent in the current hour, per viewer or address

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'query_budgets',
        sa.Column('key', sa.String(length=300), nullable=False),
        sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_query_budgets')),
    )


def downgrade() -> None:
    op.drop_table('query_budgets')
