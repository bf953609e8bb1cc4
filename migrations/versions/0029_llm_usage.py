"""model usage and cost accounting, monthly budgets and prompt label history

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0029'
down_revision: str | None = '0028'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _created_at() -> sa.Column:
    return sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                     nullable=False)


def upgrade() -> None:
    op.create_table(
        'llm_usage',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        _created_at(),
        sa.Column('provider', sa.String(length=20), nullable=False),
        sa.Column('model', sa.String(length=200), nullable=False),
        sa.Column('feature', sa.String(length=100), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=True),
        sa.Column('organization_id', sa.Uuid(), nullable=True),
        sa.Column('course_id', sa.BigInteger(), nullable=True),
        sa.Column('chat_session_id', sa.BigInteger(), nullable=True),
        sa.Column('input_tokens', sa.BigInteger(), nullable=False),
        sa.Column('output_tokens', sa.BigInteger(), nullable=False),
        sa.Column('cache_write_tokens', sa.BigInteger(), nullable=False),
        sa.Column('cache_read_tokens', sa.BigInteger(), nullable=False),
        sa.Column('latency_ms', sa.Integer(), nullable=False),
        sa.Column('cost', sa.Numeric(precision=20, scale=9), nullable=True),
        sa.CheckConstraint("outcome IN ('ok', 'error', 'cache_hit')",
                           name=op.f('ck_llm_usage_outcome_valid')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_llm_usage_user_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f('fk_llm_usage_organization_id_organizations'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'],
                                name=op.f('fk_llm_usage_course_id_courses'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_llm_usage')),
    )
    op.create_index(op.f('ix_llm_usage_created_at'), 'llm_usage', ['created_at'])
    op.create_index('ix_llm_usage_user_id_created_at', 'llm_usage', ['user_id', 'created_at'])
    op.create_index('ix_llm_usage_course_id_created_at', 'llm_usage',
                    ['course_id', 'created_at'])
    op.create_index('ix_llm_usage_organization_id_created_at', 'llm_usage',
                    ['organization_id', 'created_at'])

    op.create_table(
        'llm_budgets',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('scope', sa.String(length=20), nullable=False),
        sa.Column('scope_id', sa.String(length=64), nullable=False),
        sa.Column('token_limit', sa.BigInteger(), nullable=True),
        sa.Column('cost_limit', sa.Numeric(precision=20, scale=9), nullable=True),
        sa.Column('updated_by', sa.Uuid(), nullable=True),
        _created_at(),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.CheckConstraint("scope IN ('COURSE', 'ORGANIZATION', 'USER')",
                           name=op.f('ck_llm_budgets_scope_valid')),
        sa.ForeignKeyConstraint(['updated_by'], ['users.id'],
                                name=op.f('fk_llm_budgets_updated_by_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_llm_budgets')),
        sa.UniqueConstraint('scope', 'scope_id', name='uq_llm_budgets_scope_scope_id'),
    )

    op.create_table(
        'llm_budget_holds',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('budget_id', sa.BigInteger(), nullable=False),
        sa.Column('tokens', sa.BigInteger(), nullable=False),
        sa.Column('cost', sa.Numeric(precision=20, scale=9), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['budget_id'], ['llm_budgets.id'],
                                name=op.f('fk_llm_budget_holds_budget_id_llm_budgets'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_llm_budget_holds')),
    )
    op.create_index(op.f('ix_llm_budget_holds_budget_id'), 'llm_budget_holds', ['budget_id'])

    op.create_table(
        'prompt_label_events',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('label', sa.String(length=100), nullable=False),
        sa.Column('from_version', sa.Integer(), nullable=True),
        sa.Column('to_version', sa.Integer(), nullable=True),
        sa.Column('actor_id', sa.Uuid(), nullable=True),
        _created_at(),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'],
                                name=op.f('fk_prompt_label_events_actor_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_prompt_label_events')),
    )
    op.create_index(op.f('ix_prompt_label_events_name'), 'prompt_label_events', ['name'])


def downgrade() -> None:
    op.drop_table('prompt_label_events')
    op.drop_table('llm_budget_holds')
    op.drop_table('llm_budgets')
    op.drop_table('llm_usage')
