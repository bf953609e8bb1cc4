"""tutor chat: how many chatEvents subscriptions watch a session

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07 23:00:00

A turn publishes its events to other instances only when a subscription somewhere
watches its session: most turns (every SSE one without a second tab) have no such
subscriber, and their notifications were work for PostgreSQL and every instance.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0032'
down_revision: str | None = '0031'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("chat_sessions", sa.Column("watchers", sa.Integer(), nullable=False,
                                             server_default=sa.text("0")))


def downgrade() -> None:
    op.drop_column("chat_sessions", "watchers")
