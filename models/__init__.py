"""SQLAlchemy models; importing this package registers every table on Base.metadata."""

from models.base import Base
from models.infra import PubSubMessage, RateLimitCounter
from models.user import ApiKey, AuthSession, RefreshToken, User, UserSecret

__all__ = ["ApiKey", "AuthSession", "Base", "PubSubMessage", "RateLimitCounter", "RefreshToken",
           "User", "UserSecret"]
