"""progress: the latest of a user's rows of one module or item first

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-08 02:00:00

The viewer's progress on a module or content item is their latest row across offerings
(``updated_at``, then ``id``). A planned tree page reads it for each of its modules and
items: with these indexes each read takes the first entry instead of sorting what it finds.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0033'
down_revision: str | None = '0032'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (("module_progress", "module_id"), ("content_progress", "content_item_id"))


def upgrade() -> None:
    for table, item in TABLES:
        op.create_index(f"ix_{table}_latest", table, [
            "user_id", item, sa.text("updated_at DESC"), sa.text("id DESC")])


def downgrade() -> None:
    for table, _ in TABLES:
        op.drop_index(f"ix_{table}_latest", table_name=table)
