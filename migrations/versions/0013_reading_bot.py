"""reading platform: quiz results, level history, assessments

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column:
    return sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False)


def _learner() -> sa.Column:
    return sa.Column('learner_id', postgresql.UUID(as_uuid=True), nullable=False)


def _created() -> sa.Column:
    return sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                     nullable=False)


def upgrade() -> None:
    op.create_table(
        'reading_quiz_results',
        _id(), _learner(),
        sa.Column('book_id', sa.String(length=40), nullable=False),
        sa.Column('fk_level', sa.Float(), nullable=False),
        sa.Column('score_pct', sa.Float(), nullable=False),
        sa.Column('questions_total', sa.Integer(), nullable=False),
        sa.Column('questions_correct', sa.Integer(), nullable=False),
        sa.Column('level_recommendation', sa.String(length=5), nullable=False),
        sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
        _created(),
        sa.CheckConstraint("level_recommendation IN ('drop', 'hold', 'raise')",
                           name=op.f('ck_reading_quiz_results_level_recommendation_valid')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reading_quiz_results')),
    )
    op.create_index('ix_reading_quiz_results_learner', 'reading_quiz_results',
                    ['learner_id', 'created_at'])
    op.create_table(
        'reading_level_changes',
        _id(), _learner(),
        sa.Column('previous_level', sa.Float(), nullable=False),
        sa.Column('level', sa.Float(), nullable=False),
        sa.Column('recommendation', sa.String(length=5), nullable=False),
        sa.Column('quiz_result_id', sa.BigInteger(), nullable=True),
        _created(),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reading_level_changes')),
    )
    op.create_index('ix_reading_level_changes_learner', 'reading_level_changes',
                    ['learner_id', 'id'])
    op.create_table(
        'reading_assessments',
        _id(), _learner(),
        sa.Column('book_id', sa.String(length=40), nullable=False),
        sa.Column('questions', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('score_pct', sa.Float(), nullable=True),
        _created(),
        sa.Column('scored_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reading_assessments')),
    )
    op.create_index('ix_reading_assessments_learner_book', 'reading_assessments',
                    ['learner_id', 'book_id', 'id'])


def downgrade() -> None:
    op.drop_index('ix_reading_assessments_learner_book', table_name='reading_assessments')
    op.drop_table('reading_assessments')
    op.drop_index('ix_reading_level_changes_learner', table_name='reading_level_changes')
    op.drop_table('reading_level_changes')
    op.drop_index('ix_reading_quiz_results_learner', table_name='reading_quiz_results')
    op.drop_table('reading_quiz_results')
