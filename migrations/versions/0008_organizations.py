"""organizations, members, guests, subscription tiers; guest API keys and key rate limits

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        'organizations',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('created_by', sa.Uuid(), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'], ondelete='SET NULL',
                                name=op.f('fk_organizations_created_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organizations')),
    )
    op.create_table(
        'organization_members',
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('organization_id', sa.Uuid(), nullable=False),
        sa.Column('is_admin', sa.Boolean(), server_default=sa.text('false'), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_organization_members_user_id_users')),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ondelete='CASCADE',
                                name=op.f('fk_organization_members_organization_id_organizations')),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_organization_members')),
    )
    op.create_index(op.f('ix_organization_members_organization_id'), 'organization_members',
                    ['organization_id'])
    op.create_table(
        'organization_guests',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('organization_id', sa.Uuid(), nullable=False),
        sa.Column('email', sa.String(length=320), nullable=False),
        sa.Column('status', sa.String(length=20), server_default='active', nullable=False),
        sa.Column('created_by', sa.Uuid(), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ondelete='CASCADE',
                                name=op.f('fk_organization_guests_organization_id_organizations')),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'], ondelete='SET NULL',
                                name=op.f('fk_organization_guests_created_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organization_guests')),
    )
    op.create_index('uq_organization_guests_org_email', 'organization_guests',
                    ['organization_id', sa.text('lower(email)')], unique=True)
    op.create_table(
        'subscriptions',
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('tier', sa.String(length=20), nullable=False),
        sa.Column('granted_by', sa.Uuid(), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_subscriptions_user_id_users')),
        sa.ForeignKeyConstraint(['granted_by'], ['users.id'], ondelete='SET NULL',
                                name=op.f('fk_subscriptions_granted_by_users')),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_subscriptions')),
    )
    op.add_column('api_keys', sa.Column('guest_id', sa.Uuid(), nullable=True))
    op.add_column('api_keys', sa.Column('rate_limit', sa.Integer(),
                                        server_default=sa.text('120'), nullable=False))
    op.create_foreign_key(op.f('fk_api_keys_guest_id_organization_guests'), 'api_keys',
                          'organization_guests', ['guest_id'], ['id'], ondelete='CASCADE')
    op.create_index(op.f('ix_api_keys_guest_id'), 'api_keys', ['guest_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_api_keys_guest_id'), table_name='api_keys')
    op.drop_constraint(op.f('fk_api_keys_guest_id_organization_guests'), 'api_keys',
                       type_='foreignkey')
    op.drop_column('api_keys', 'rate_limit')
    op.drop_column('api_keys', 'guest_id')
    op.drop_table('subscriptions')
    op.drop_index('uq_organization_guests_org_email', table_name='organization_guests')
    op.drop_table('organization_guests')
    op.drop_index(op.f('ix_organization_members_organization_id'),
                  table_name='organization_members')
    op.drop_table('organization_members')
    op.drop_table('organizations')
