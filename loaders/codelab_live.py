"""DataLoaders of a codelab's live room: the messages of inline comment threads."""

from __future__ import annotations

from loaders import ByParentLoader
from models.codelab_live import CodelabComment


class CommentsByThreadIdLoader(ByParentLoader):
    """An inline comment thread's messages, oldest first."""

    model = CodelabComment
    key = "thread_id"
    order = ("id",)
