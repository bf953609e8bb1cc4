"""teacher portal: SQL functions for planned reads of a student's username and a
notification's child

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 17:40:00

A planned read builds each field from an expression over its own row; a value from
another table is a correlated lookup, which these functions are (STABLE SQL functions,
inlined by PostgreSQL's planner).
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0031'
down_revision: str | None = '0030'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE FUNCTION child_username(child uuid) RETURNS varchar "
               "LANGUAGE sql STABLE PARALLEL SAFE "
               "AS 'SELECT username FROM child_credentials WHERE user_id = child'")
    op.execute("CREATE FUNCTION student_name(student bigint) RETURNS varchar "
               "LANGUAGE sql STABLE PARALLEL SAFE "
               "AS 'SELECT name FROM students WHERE id = student'")


def downgrade() -> None:
    op.execute("DROP FUNCTION student_name(bigint)")
    op.execute("DROP FUNCTION child_username(uuid)")
