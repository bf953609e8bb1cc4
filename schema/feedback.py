"""GraphQL for the course platform: feedback."""

from __future__ import annotations

import strawberry


@strawberry.type
class FeedbackQuery:
    pass


@strawberry.type
class FeedbackMutation:
    pass
