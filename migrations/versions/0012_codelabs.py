"""codelabs: courses get a kind; workshop settings, attendees and facilitators

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('courses', sa.Column('kind', sa.String(length=20), server_default='COURSE',
                                       nullable=False))
    op.create_check_constraint(op.f('ck_courses_kind_valid'), 'courses',
                               "kind IN ('COURSE', 'CODELAB')")
    op.create_table(
        'codelabs',
        sa.Column('course_id', sa.BigInteger(), nullable=False),
        sa.Column('offering_id', sa.BigInteger(), nullable=False),
        sa.Column('author', sa.String(length=200), server_default='', nullable=False),
        sa.Column('quiz_enabled', sa.Boolean(), server_default=sa.text('false'), nullable=False),
        sa.Column('require_quiz', sa.Boolean(), server_default=sa.text('false'), nullable=False),
        sa.Column('require_feedback', sa.Boolean(), server_default=sa.text('false'),
                  nullable=False),
        sa.Column('guide_markdown', sa.Text(), nullable=True),
        sa.Column('attendance_code', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'],
                                name=op.f('fk_codelabs_course_id_courses'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['offering_id'], ['course_offerings.id'],
                                name=op.f('fk_codelabs_offering_id_course_offerings'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('course_id', name=op.f('pk_codelabs')),
        sa.UniqueConstraint('offering_id', name=op.f('uq_codelabs_offering_id')),
    )
    op.create_table(
        'codelab_attendees',
        sa.Column('enrollment_id', sa.BigInteger(), nullable=False),
        sa.Column('course_id', sa.BigInteger(), nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('email', sa.String(length=320), nullable=True),
        sa.Column('current_step', sa.Integer(), server_default=sa.text('1'), nullable=False),
        sa.ForeignKeyConstraint(['enrollment_id'], ['enrollments.id'],
                                name=op.f('fk_codelab_attendees_enrollment_id_enrollments'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'],
                                name=op.f('fk_codelab_attendees_course_id_courses'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_codelab_attendees_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('enrollment_id', name=op.f('pk_codelab_attendees')),
        sa.UniqueConstraint('user_id', name=op.f('uq_codelab_attendees_user_id')),
    )
    op.create_index(op.f('ix_codelab_attendees_course_id'), 'codelab_attendees', ['course_id'])
    op.create_index('uq_codelab_attendees_course_email', 'codelab_attendees',
                    ['course_id', sa.text('lower(email)')], unique=True,
                    postgresql_where=sa.text('email IS NOT NULL'))
    op.create_table(
        'codelab_facilitators',
        sa.Column('admin_id', sa.String(length=100), nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_codelab_facilitators_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('admin_id', name=op.f('pk_codelab_facilitators')),
        sa.UniqueConstraint('user_id', name=op.f('uq_codelab_facilitators_user_id')),
    )


def downgrade() -> None:
    op.drop_table('codelab_facilitators')
    op.drop_table('codelab_attendees')
    op.drop_table('codelabs')
    op.drop_constraint(op.f('ck_courses_kind_valid'), 'courses', type_='check')
    op.drop_column('courses', 'kind')
