"""GraphQL for the course platform: learning."""

from __future__ import annotations

import strawberry


@strawberry.type
class LearningQuery:
    pass


@strawberry.type
class LearningMutation:
    pass
