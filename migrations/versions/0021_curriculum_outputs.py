"""curriculum mapper: generated materials per objective and type

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 05:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'curriculum_outputs',
        sa.Column('objective_id', sa.Integer(), nullable=False),
        sa.Column('type', sa.String(length=20), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.ForeignKeyConstraint(['objective_id'], ['curriculum_objectives.id'],
                                ondelete='CASCADE',
                                name=op.f('fk_curriculum_outputs_objective_id_curriculum_'
                                          'objectives')),
        sa.PrimaryKeyConstraint('objective_id', 'type', name=op.f('pk_curriculum_outputs')),
    )


def downgrade() -> None:
    op.drop_table('curriculum_outputs')
