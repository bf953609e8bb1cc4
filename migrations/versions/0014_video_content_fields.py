"""the seeded video content type takes the contract's fields: video_url required, duration

The demo catalog seeded ``video`` requiring ``video_url`` and ``duration_seconds``,
so the contract's own create request (``data_json: {"video_url": ...}``) was refused,
and its examples name the length ``duration``. Only a type still as seeded changes.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 04:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEEDED = """name = 'video' AND required_fields = '["video_url", "duration_seconds"]'::jsonb"""
NOW = """name = 'video' AND required_fields = '["video_url"]'::jsonb"""


def upgrade() -> None:
    op.execute(f"""
        UPDATE content_items SET data_json =
            (data_json - 'duration_seconds') || jsonb_build_object('duration', data_json -> 'duration_seconds')
        WHERE data_json ? 'duration_seconds' AND NOT data_json ? 'duration'
          AND content_type_id IN (SELECT id FROM content_types WHERE {SEEDED})""")
    op.execute(f"""
        UPDATE content_types SET required_fields = '["video_url"]'::jsonb,
            label = CASE WHEN label = 'Video lecture' THEN 'Video' ELSE label END
        WHERE {SEEDED}""")


def downgrade() -> None:
    op.execute(f"""
        UPDATE content_items SET data_json =
            (data_json - 'duration') || jsonb_build_object('duration_seconds', data_json -> 'duration')
        WHERE data_json ? 'duration' AND NOT data_json ? 'duration_seconds'
          AND content_type_id IN (SELECT id FROM content_types WHERE {NOW})""")
    op.execute(f"""
        UPDATE content_types SET required_fields = '["video_url", "duration_seconds"]'::jsonb,
            label = CASE WHEN label = 'Video' THEN 'Video lecture' ELSE label END
        WHERE {NOW}""")
