"""Loaders for users."""

from __future__ import annotations

from loaders import ByIdLoader
from models.user import User


class UserByIdLoader(ByIdLoader):
    model = User
