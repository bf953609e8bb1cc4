"""reading platform: book catalog (graded by the readability library), learners, telemetry

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 04:00:00
"""

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
import yaml
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CATALOG = Path(__file__).resolve().parents[1] / "data" / "reading_catalog.yaml"
EVENT_TYPES = ("page_turned", "word_tapped", "book_opened", "session_ended", "quiz_answered",
               "book_abandoned")


def _uuid(name: str, **kw) -> sa.Column:
    return sa.Column(name, postgresql.UUID(as_uuid=True), **kw)


def upgrade() -> None:
    books = op.create_table(
        'reading_books',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('author', sa.String(length=200), nullable=False),
        sa.Column('cover_url', sa.String(length=500), server_default='', nullable=False),
        sa.Column('fk_grade', sa.Float(), nullable=False),
        sa.Column('word_count', sa.Integer(), nullable=False),
        sa.Column('page_count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reading_books')),
    )
    pages = op.create_table(
        'reading_book_pages',
        sa.Column('book_id', sa.String(length=40), nullable=False),
        sa.Column('page_number', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('fk_grade', sa.Float(), nullable=False),
        sa.Column('word_count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['book_id'], ['reading_books.id'], ondelete='CASCADE',
                                name=op.f('fk_reading_book_pages_book_id_reading_books')),
        sa.PrimaryKeyConstraint('book_id', 'page_number', name=op.f('pk_reading_book_pages')),
    )
    op.create_table(
        'reading_learners',
        _uuid('id', nullable=False),
        sa.Column('reading_level', sa.Float(), server_default=sa.text('2.0'), nullable=False),
        sa.Column('latest_report', sa.Text(), nullable=True),
        sa.Column('curriculum_state', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reading_learners')),
    )
    listed = ", ".join(f"'{t}'" for t in EVENT_TYPES)
    op.create_table(
        'reading_events',
        _uuid('event_id', nullable=False),
        _uuid('learner_id', nullable=False),
        _uuid('session_id', nullable=False),
        sa.Column('event_type', sa.String(length=20), nullable=False),
        sa.Column('book_id', sa.String(length=40), nullable=True),
        sa.Column('page_number', sa.Integer(), nullable=True),
        sa.Column('word', sa.String(length=64), nullable=True),
        sa.Column('time_on_page_ms', sa.BigInteger(), nullable=True),
        sa.Column('client_ts', sa.BigInteger(), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.CheckConstraint(f"event_type IN ({listed})",
                           name=op.f('ck_reading_events_event_type_valid')),
        sa.PrimaryKeyConstraint('event_id', name=op.f('pk_reading_events')),
    )
    op.create_index('ix_reading_events_session', 'reading_events', ['session_id'])
    op.create_table(
        'reading_sessions',
        _uuid('id', nullable=False),
        _uuid('learner_id', nullable=False),
        sa.Column('book_id', sa.String(length=40), nullable=True),
        sa.Column('events_received', sa.Integer(), server_default='0', nullable=False),
        sa.Column('pages_read', sa.Integer(), server_default='0', nullable=False),
        sa.Column('total_pages', sa.Integer(), nullable=True),
        sa.Column('avg_time_per_page_ms', sa.Integer(), nullable=True),
        sa.Column('slow_pages', postgresql.JSONB(astext_type=sa.Text()),
                  server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column('engagement', sa.String(length=10), nullable=True),
        sa.Column('completed', sa.Boolean(), server_default='false', nullable=False),
        sa.Column('miles', sa.Float(), server_default=sa.text('0'), nullable=False),
        sa.Column('client_ts', sa.BigInteger(), nullable=True),
        sa.Column('ended_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('summarized_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reading_sessions')),
    )
    op.create_index('ix_reading_sessions_learner', 'reading_sessions',
                    ['learner_id', 'ended_at'])
    op.create_table(
        'reading_session_words',
        _uuid('session_id', nullable=False),
        sa.Column('word', sa.String(length=64), nullable=False),
        _uuid('learner_id', nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('session_id', 'word', name=op.f('pk_reading_session_words')),
    )
    op.create_index('ix_reading_session_words_learner', 'reading_session_words',
                    ['learner_id', 'word'])
    _load_catalog(books, pages)


def _load_catalog(books: sa.Table, pages: sa.Table) -> None:
    """The shipped catalog, each page and book graded by the readability library."""
    from core.readability import fk_grade, word_count

    book_rows, page_rows = [], []
    for book in yaml.safe_load(CATALOG.read_text()):
        texts = [str(t).strip() for t in book["pages"]]
        book_rows.append({"id": book["id"], "title": book["title"], "author": book["author"],
                          "cover_url": book.get("cover_url", ""),
                          "fk_grade": fk_grade(" ".join(texts)),
                          "word_count": sum(word_count(t) for t in texts),
                          "page_count": len(texts)})
        page_rows += [{"book_id": book["id"], "page_number": number, "text": t,
                       "fk_grade": fk_grade(t), "word_count": word_count(t)}
                      for number, t in enumerate(texts, start=1)]
    op.bulk_insert(books, book_rows)
    op.bulk_insert(pages, page_rows)


def downgrade() -> None:
    op.drop_index('ix_reading_session_words_learner', table_name='reading_session_words')
    op.drop_table('reading_session_words')
    op.drop_index('ix_reading_sessions_learner', table_name='reading_sessions')
    op.drop_table('reading_sessions')
    op.drop_index('ix_reading_events_session', table_name='reading_events')
    op.drop_table('reading_events')
    op.drop_table('reading_learners')
    op.drop_table('reading_book_pages')
    op.drop_table('reading_books')
