"""codelab live room: chat, inline comment threads and the audit log

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _created_at() -> sa.Column:
    return sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                     nullable=False)


def upgrade() -> None:
    op.create_table(
        'codelab_chat_messages',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('course_id', sa.BigInteger(), nullable=False),
        sa.Column('sender_user_id', sa.Uuid(), nullable=True),
        sa.Column('sender_name', sa.String(length=200), nullable=False),
        sa.Column('msg_type', sa.String(length=10), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('target_user_id', sa.Uuid(), nullable=True),
        _created_at(),
        sa.CheckConstraint("msg_type IN ('chat', 'dm')",
                           name=op.f('ck_codelab_chat_messages_msg_type_valid')),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'],
                                name=op.f('fk_codelab_chat_messages_course_id_courses'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['sender_user_id'], ['users.id'],
                                name=op.f('fk_codelab_chat_messages_sender_user_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['target_user_id'], ['users.id'],
                                name=op.f('fk_codelab_chat_messages_target_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_codelab_chat_messages')),
    )
    op.create_index('ix_codelab_chat_messages_course_id_id', 'codelab_chat_messages',
                    ['course_id', 'id'])
    op.create_index(op.f('ix_codelab_chat_messages_target_user_id'), 'codelab_chat_messages',
                    ['target_user_id'])

    op.create_table(
        'codelab_comment_threads',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('course_id', sa.BigInteger(), nullable=False),
        sa.Column('anchor_key', sa.String(length=512), nullable=False),
        sa.Column('target_type', sa.String(length=10), nullable=False),
        sa.Column('step_id', sa.BigInteger(), nullable=True),
        sa.Column('start_offset', sa.Integer(), nullable=False),
        sa.Column('end_offset', sa.Integer(), nullable=False),
        sa.Column('selected_text', sa.Text(), nullable=False),
        sa.Column('content_hash', sa.String(length=128), nullable=False),
        sa.Column('created_by_user_id', sa.Uuid(), nullable=True),
        sa.Column('created_by_role', sa.String(length=10), nullable=False),
        _created_at(),
        sa.CheckConstraint("target_type IN ('step', 'guide')",
                           name=op.f('ck_codelab_comment_threads_target_type_valid')),
        sa.CheckConstraint("(target_type = 'step') = (step_id IS NOT NULL)",
                           name=op.f('ck_codelab_comment_threads_step_target')),
        sa.CheckConstraint('start_offset >= 0 AND end_offset > start_offset',
                           name=op.f('ck_codelab_comment_threads_range_valid')),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'],
                                name=op.f('fk_codelab_comment_threads_course_id_courses'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['step_id'], ['modules.id'],
                                name=op.f('fk_codelab_comment_threads_step_id_modules'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(
            ['created_by_user_id'], ['users.id'],
            name=op.f('fk_codelab_comment_threads_created_by_user_id_users'),
            ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_codelab_comment_threads')),
        sa.UniqueConstraint('course_id', 'anchor_key',
                            name='uq_codelab_comment_threads_course_anchor'),
    )
    op.create_index(op.f('ix_codelab_comment_threads_step_id'), 'codelab_comment_threads',
                    ['step_id'])

    op.create_table(
        'codelab_comments',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('thread_id', sa.BigInteger(), nullable=False),
        sa.Column('course_id', sa.BigInteger(), nullable=False),
        sa.Column('author_role', sa.String(length=10), nullable=False),
        sa.Column('author_user_id', sa.Uuid(), nullable=True),
        sa.Column('author_name', sa.String(length=200), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        _created_at(),
        sa.CheckConstraint("author_role IN ('admin', 'attendee')",
                           name=op.f('ck_codelab_comments_author_role_valid')),
        sa.ForeignKeyConstraint(['thread_id'], ['codelab_comment_threads.id'],
                                name=op.f('fk_codelab_comments_thread_id_codelab_comment_threads'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'],
                                name=op.f('fk_codelab_comments_course_id_courses'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['author_user_id'], ['users.id'],
                                name=op.f('fk_codelab_comments_author_user_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_codelab_comments')),
    )
    op.create_index(op.f('ix_codelab_comments_thread_id'), 'codelab_comments', ['thread_id'])
    op.create_index(op.f('ix_codelab_comments_course_id'), 'codelab_comments', ['course_id'])

    op.create_table(
        'codelab_audit_logs',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('action', sa.String(length=64), nullable=False),
        sa.Column('actor_type', sa.String(length=20), nullable=False),
        sa.Column('actor_id', sa.String(length=100), nullable=True),
        sa.Column('actor_user_id', sa.Uuid(), nullable=True),
        sa.Column('target_id', sa.String(length=100), nullable=True),
        sa.Column('course_id', sa.BigInteger(), nullable=True),
        sa.Column('ip', sa.String(length=64), nullable=True),
        sa.Column('user_agent', sa.String(length=500), nullable=True),
        sa.Column('details', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        _created_at(),
        sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'],
                                name=op.f('fk_codelab_audit_logs_actor_user_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_codelab_audit_logs')),
    )
    op.create_index('ix_codelab_audit_logs_course_id_id', 'codelab_audit_logs',
                    ['course_id', 'id'])
    op.create_index('ix_codelab_audit_logs_action_id', 'codelab_audit_logs', ['action', 'id'])


def downgrade() -> None:
    op.drop_table('codelab_audit_logs')
    op.drop_table('codelab_comments')
    op.drop_table('codelab_comment_threads')
    op.drop_table('codelab_chat_messages')
