"""codelab help requests and feedback

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 05:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'codelab_help_requests',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('course_id', sa.BigInteger(), nullable=False),
        sa.Column('attendee_id', sa.BigInteger(), nullable=False),
        sa.Column('step_number', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), server_default='pending', nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'resolved')",
                           name=op.f('ck_codelab_help_requests_status_valid')),
        sa.CheckConstraint('step_number >= 1',
                           name=op.f('ck_codelab_help_requests_step_number_positive')),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'],
                                name=op.f('fk_codelab_help_requests_course_id_courses'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(
            ['attendee_id'], ['codelab_attendees.enrollment_id'],
            name=op.f('fk_codelab_help_requests_attendee_id_codelab_attendees'),
            ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_codelab_help_requests')),
    )
    op.create_index('ix_codelab_help_requests_course_status', 'codelab_help_requests',
                    ['course_id', 'status'])
    op.create_index(op.f('ix_codelab_help_requests_attendee_id'), 'codelab_help_requests',
                    ['attendee_id'])
    op.create_table(
        'codelab_feedback',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('course_id', sa.BigInteger(), nullable=False),
        sa.Column('attendee_id', sa.BigInteger(), nullable=False),
        sa.Column('difficulty', sa.SmallInteger(), nullable=False),
        sa.Column('satisfaction', sa.SmallInteger(), nullable=False),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.CheckConstraint('difficulty BETWEEN 1 AND 5',
                           name=op.f('ck_codelab_feedback_difficulty_range')),
        sa.CheckConstraint('satisfaction BETWEEN 1 AND 5',
                           name=op.f('ck_codelab_feedback_satisfaction_range')),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'],
                                name=op.f('fk_codelab_feedback_course_id_courses'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['attendee_id'], ['codelab_attendees.enrollment_id'],
                                name=op.f('fk_codelab_feedback_attendee_id_codelab_attendees'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_codelab_feedback')),
        sa.UniqueConstraint('attendee_id', name=op.f('uq_codelab_feedback_attendee_id')),
    )
    op.create_index(op.f('ix_codelab_feedback_course_id'), 'codelab_feedback', ['course_id'])


def downgrade() -> None:
    op.drop_table('codelab_feedback')
    op.drop_table('codelab_help_requests')
