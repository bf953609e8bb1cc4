"""codelab quizzes and graded submissions

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 05:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'codelab_quizzes',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('course_id', sa.BigInteger(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('question', sa.Text(), nullable=False),
        sa.Column('quiz_type', sa.String(length=30), server_default='multiple_choice',
                  nullable=False),
        sa.Column('options', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('correct_answer', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.CheckConstraint('correct_answer >= 0',
                           name=op.f('ck_codelab_quizzes_correct_answer_index')),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'],
                                name=op.f('fk_codelab_quizzes_course_id_courses'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_codelab_quizzes')),
    )
    op.create_index('ix_codelab_quizzes_course_position', 'codelab_quizzes',
                    ['course_id', 'position'])
    op.create_table(
        'codelab_quiz_submissions',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('course_id', sa.BigInteger(), nullable=False),
        sa.Column('quiz_id', sa.BigInteger(), nullable=False),
        sa.Column('attendee_id', sa.BigInteger(), nullable=False),
        sa.Column('answer', sa.Text(), nullable=False),
        sa.Column('is_correct', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'],
                                name=op.f('fk_codelab_quiz_submissions_course_id_courses'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['quiz_id'], ['codelab_quizzes.id'],
                                name=op.f('fk_codelab_quiz_submissions_quiz_id_codelab_quizzes'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(
            ['attendee_id'], ['codelab_attendees.enrollment_id'],
            name=op.f('fk_codelab_quiz_submissions_attendee_id_codelab_attendees'),
            ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_codelab_quiz_submissions')),
        sa.UniqueConstraint('quiz_id', 'attendee_id',
                            name='uq_codelab_quiz_submissions_quiz_attendee'),
    )
    op.create_index(op.f('ix_codelab_quiz_submissions_course_id'), 'codelab_quiz_submissions',
                    ['course_id'])
    op.create_index(op.f('ix_codelab_quiz_submissions_attendee_id'),
                    'codelab_quiz_submissions', ['attendee_id'])


def downgrade() -> None:
    op.drop_table('codelab_quiz_submissions')
    op.drop_table('codelab_quizzes')
