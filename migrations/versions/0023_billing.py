"""reading platform billing: subscriptions, entitlement grants, applied Stripe events

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'billing_subscriptions',
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('plan', sa.String(length=30), nullable=True),
        sa.Column('seats', sa.Integer(), nullable=True),
        sa.Column('trial_ends_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('current_period_end', sa.DateTime(timezone=True), nullable=True),
        sa.Column('stripe_customer_id', sa.String(length=255), nullable=True),
        sa.Column('stripe_subscription_id', sa.String(length=255), nullable=True),
        sa.Column('stripe_event_created', sa.BigInteger(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_billing_subscriptions_user_id_users')),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_billing_subscriptions')),
        sa.UniqueConstraint('stripe_customer_id', name=op.f('uq_billing_subscriptions_stripe_customer_id')),
        sa.UniqueConstraint('stripe_subscription_id', name=op.f('uq_billing_subscriptions_stripe_subscription_id')),
    )
    op.create_table(
        'entitlement_grants',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('subject_id', sa.Uuid(), nullable=False),
        sa.Column('tier', sa.String(length=20), nullable=False),
        sa.Column('features', postgresql.ARRAY(sa.String(length=40)), server_default=sa.text("'{}'::varchar[]"), nullable=False),
        sa.Column('reason', sa.String(length=500), server_default='', nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_by', sa.Uuid(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'], ondelete='SET NULL',
                                name=op.f('fk_entitlement_grants_created_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_entitlement_grants')),
    )
    op.create_index('ix_entitlement_grants_subject', 'entitlement_grants', ['subject_id'])
    op.create_table(
        'stripe_events',
        sa.Column('id', sa.String(length=255), nullable=False),
        sa.Column('type', sa.String(length=100), nullable=False),
        sa.Column('applied', sa.Boolean(), server_default=sa.text('false'), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_events')),
    )


def downgrade() -> None:
    op.drop_table('stripe_events')
    op.drop_index('ix_entitlement_grants_subject', table_name='entitlement_grants')
    op.drop_table('entitlement_grants')
    op.drop_table('billing_subscriptions')
