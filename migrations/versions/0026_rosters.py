"""teacher portal: child sign-in credentials, classes, students, parent claims, teacher
notifications

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0026'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTIFICATION_TYPES = ("parent_claim_request", "low_score", "inactive", "no_placement",
                      "child_locked_pin")


def _timestamps() -> list[sa.Column]:
    return [sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                      nullable=False),
            sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                      nullable=False)]


def upgrade() -> None:
    op.create_table(
        'child_credentials',
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('pin_hash', sa.Text(), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_child_credentials_user_id_users')),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_child_credentials')),
    )
    op.create_index('uq_child_credentials_username_lower', 'child_credentials',
                    [sa.text('lower(username)')], unique=True)
    op.create_table(
        'classes',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('teacher_id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('year_level', sa.Integer(), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(['teacher_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_classes_teacher_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_classes')),
    )
    op.create_index(op.f('ix_classes_teacher_id'), 'classes', ['teacher_id'])
    op.create_table(
        'students',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('class_id', sa.BigInteger(), nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('year_level', sa.Integer(), nullable=False),
        sa.Column('parent_id', sa.Uuid(), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(['class_id'], ['classes.id'], ondelete='CASCADE',
                                name=op.f('fk_students_class_id_classes')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_students_user_id_users')),
        sa.ForeignKeyConstraint(['parent_id'], ['users.id'], ondelete='SET NULL',
                                name=op.f('fk_students_parent_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_students')),
        sa.UniqueConstraint('user_id', name=op.f('uq_students_user_id')),
    )
    op.create_index('ix_students_class', 'students', ['class_id', 'id'])
    op.create_index(op.f('ix_students_parent_id'), 'students', ['parent_id'])
    op.create_table(
        'parent_claims',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('student_id', sa.BigInteger(), nullable=False),
        sa.Column('parent_id', sa.Uuid(), nullable=False),
        sa.Column('status', sa.String(length=10), server_default='pending', nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by', sa.Uuid(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')",
                           name=op.f('ck_parent_claims_status_valid')),
        sa.ForeignKeyConstraint(['student_id'], ['students.id'], ondelete='CASCADE',
                                name=op.f('fk_parent_claims_student_id_students')),
        sa.ForeignKeyConstraint(['parent_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_parent_claims_parent_id_users')),
        sa.ForeignKeyConstraint(['decided_by'], ['users.id'], ondelete='SET NULL',
                                name=op.f('fk_parent_claims_decided_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_parent_claims')),
    )
    op.create_index(op.f('ix_parent_claims_parent_id'), 'parent_claims', ['parent_id'])
    op.create_index('uq_parent_claims_pending', 'parent_claims', ['student_id', 'parent_id'],
                    unique=True, postgresql_where=sa.text("status = 'pending'"))
    listed = ", ".join(f"'{t}'" for t in NOTIFICATION_TYPES)
    op.create_table(
        'teacher_notifications',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('teacher_id', sa.Uuid(), nullable=False),
        sa.Column('type', sa.String(length=30), nullable=False),
        sa.Column('student_id', sa.BigInteger(), nullable=True),
        sa.Column('claim_id', sa.BigInteger(), nullable=True),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('action_url', sa.String(length=300), server_default='', nullable=False),
        sa.Column('event_key', sa.String(length=120), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.CheckConstraint(f"type IN ({listed})",
                           name=op.f('ck_teacher_notifications_type_valid')),
        sa.ForeignKeyConstraint(['teacher_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_teacher_notifications_teacher_id_users')),
        sa.ForeignKeyConstraint(['student_id'], ['students.id'], ondelete='CASCADE',
                                name=op.f('fk_teacher_notifications_student_id_students')),
        sa.ForeignKeyConstraint(['claim_id'], ['parent_claims.id'], ondelete='CASCADE',
                                name=op.f('fk_teacher_notifications_claim_id_parent_claims')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_teacher_notifications')),
        sa.UniqueConstraint('event_key', name=op.f('uq_teacher_notifications_event_key')),
    )
    op.create_index('ix_teacher_notifications_teacher', 'teacher_notifications',
                    ['teacher_id', 'id'])
    op.create_index(op.f('ix_teacher_notifications_student_id'), 'teacher_notifications',
                    ['student_id'])
    op.create_index(op.f('ix_teacher_notifications_claim_id'), 'teacher_notifications',
                    ['claim_id'])


def downgrade() -> None:
    op.drop_table('teacher_notifications')
    op.drop_table('parent_claims')
    op.drop_table('students')
    op.drop_table('classes')
    op.drop_index('uq_child_credentials_username_lower', table_name='child_credentials')
    op.drop_table('child_credentials')
