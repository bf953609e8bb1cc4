"""course trees: a module's children and items indexed in tree order

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-08 02:15:00

Children and content items are listed in (sequence_index, id) order. The indexes found a
module's rows in no order (children) or in sequence_index order only (items), and each
list was then sorted: a planned tree page sorted 200 small lists. Indexes on the whole
order hand the rows over sorted; they replace the ones they extend.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0034'
down_revision: str | None = '0033'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_modules_parent_seq", "modules",
                    ["parent_module_id", "sequence_index", "id"])
    op.drop_index("ix_modules_parent_module_id", table_name="modules")
    op.drop_index("ix_content_items_module_seq", table_name="content_items")
    op.create_index("ix_content_items_module_seq", "content_items",
                    ["module_id", "sequence_index", "id"])


def downgrade() -> None:
    op.drop_index("ix_content_items_module_seq", table_name="content_items")
    op.create_index("ix_content_items_module_seq", "content_items",
                    ["module_id", "sequence_index"])
    op.create_index("ix_modules_parent_module_id", "modules", ["parent_module_id"])
    op.drop_index("ix_modules_parent_seq", table_name="modules")
