"""curriculum mapper and orchestrator: objectives (sample curricula), lesson books, runs

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 05:00:00
"""

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
import yaml
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OBJECTIVES = Path(__file__).resolve().parents[1] / "data" / "curriculum_objectives.yaml"


def upgrade() -> None:
    objectives = op.create_table(
        'curriculum_objectives',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('territory', sa.String(length=100), nullable=False),
        sa.Column('year_level', sa.Integer(), nullable=False),
        sa.Column('subject', sa.String(length=100), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('difficulty', sa.Integer(), nullable=False),
        sa.Column('vocabulary', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('story_potential_score', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_curriculum_objectives')),
    )
    op.create_index('ix_curriculum_objectives_filter', 'curriculum_objectives',
                    ['territory', 'year_level', 'subject', 'id'])
    op.create_table(
        'lesson_books',
        sa.Column('objective_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('pages', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.ForeignKeyConstraint(['objective_id'], ['curriculum_objectives.id'],
                                ondelete='CASCADE',
                                name=op.f('fk_lesson_books_objective_id_curriculum_objectives')),
        sa.PrimaryKeyConstraint('objective_id', name=op.f('pk_lesson_books')),
    )
    op.create_table(
        'reading_orchestrations',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('learner_id', postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column('objective_id', sa.Integer(), nullable=True),
        sa.Column('content_selected', sa.String(length=40), nullable=True),
        sa.Column('content_source', sa.String(length=20), nullable=False),
        sa.Column('fk_level_target', sa.Float(), nullable=False),
        sa.Column('assessment_queued', sa.Boolean(), nullable=False),
        sa.Column('ran_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reading_orchestrations')),
    )
    op.create_index('ix_reading_orchestrations_learner', 'reading_orchestrations',
                    ['learner_id', 'id'])
    op.bulk_insert(objectives, yaml.safe_load(OBJECTIVES.read_text()))


def downgrade() -> None:
    op.drop_index('ix_reading_orchestrations_learner', table_name='reading_orchestrations')
    op.drop_table('reading_orchestrations')
    op.drop_table('lesson_books')
    op.drop_index('ix_curriculum_objectives_filter', table_name='curriculum_objectives')
    op.drop_table('curriculum_objectives')
