"""codelab materials, assignment submissions, AI settings and conversations, workspaces

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _course(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(['course_id'], ['courses.id'],
                                   name=op.f(f'fk_{table}_course_id_courses'),
                                   ondelete='CASCADE')


def _created() -> sa.Column:
    return sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                     nullable=False)


def upgrade() -> None:
    op.create_table(
        'codelab_materials',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('course_id', sa.BigInteger(), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('material_type', sa.String(length=10), nullable=False),
        sa.Column('link_url', sa.String(length=2048), nullable=True),
        sa.Column('storage_key', sa.String(length=300), nullable=True),
        _created(),
        sa.CheckConstraint("material_type IN ('link', 'file')",
                           name=op.f('ck_codelab_materials_material_type_valid')),
        _course('codelab_materials'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_codelab_materials')),
    )
    op.create_index(op.f('ix_codelab_materials_course_id'), 'codelab_materials',
                    ['course_id'])
    op.create_table(
        'codelab_submissions',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('course_id', sa.BigInteger(), nullable=False),
        sa.Column('attendee_id', sa.BigInteger(), nullable=False),
        sa.Column('file_name', sa.String(length=255), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('file_size', sa.BigInteger(), nullable=False),
        sa.Column('storage_key', sa.String(length=300), nullable=False),
        _created(),
        _course('codelab_submissions'),
        sa.ForeignKeyConstraint(
            ['attendee_id'], ['codelab_attendees.enrollment_id'],
            name=op.f('fk_codelab_submissions_attendee_id_codelab_attendees'),
            ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_codelab_submissions')),
    )
    op.create_index(op.f('ix_codelab_submissions_course_id'), 'codelab_submissions',
                    ['course_id'])
    op.create_index(op.f('ix_codelab_submissions_attendee_id'), 'codelab_submissions',
                    ['attendee_id'])
    op.create_table(
        'codelab_ai_settings',
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('gemini_key_encrypted', sa.LargeBinary(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_codelab_ai_settings_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_codelab_ai_settings')),
    )
    op.create_table(
        'codelab_ai_conversations',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('course_id', sa.BigInteger(), nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=True),
        sa.Column('step_number', sa.Integer(), nullable=True),
        sa.Column('question', sa.Text(), nullable=False),
        sa.Column('answer', sa.Text(), nullable=False),
        sa.Column('model', sa.String(length=100), nullable=False),
        _created(),
        _course('codelab_ai_conversations'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_codelab_ai_conversations_user_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_codelab_ai_conversations')),
    )
    op.create_index(op.f('ix_codelab_ai_conversations_course_id'),
                    'codelab_ai_conversations', ['course_id'])
    op.create_table(
        'codelab_workspaces',
        sa.Column('course_id', sa.BigInteger(), nullable=False),
        sa.Column('structure_type', sa.String(length=10), nullable=False),
        _created(),
        sa.CheckConstraint("structure_type IN ('branch', 'folder')",
                           name=op.f('ck_codelab_workspaces_structure_type_valid')),
        _course('codelab_workspaces'),
        sa.PrimaryKeyConstraint('course_id', name=op.f('pk_codelab_workspaces')),
    )


def downgrade() -> None:
    op.drop_table('codelab_workspaces')
    op.drop_table('codelab_ai_conversations')
    op.drop_table('codelab_ai_settings')
    op.drop_table('codelab_submissions')
    op.drop_table('codelab_materials')
