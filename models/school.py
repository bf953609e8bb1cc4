"""Schools of the reading platform: a school admin's school, its teachers and, through
them, its classes.

A school is made when a school admin registers (named by the ``school_name`` they
give); its admin is its first staff member. A teacher joins with the school's join
code, which only its admins can see (made anew, and shown once, on request; stored as
a SHA-256 hash). Each account is on the staff of at most one school. A class belongs
to its teacher's school (``classes.school_id``): set when the class is made, or when
its teacher joins, and cleared when they leave.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Identity, String, func
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.course import one_of

SCHOOL_NAME_LENGTH = 200
STAFF_ROLES = ("admin", "teacher")


class School(Base):
    """A school."""

    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    name: Mapped[str] = mapped_column(String(SCHOOL_NAME_LENGTH), nullable=False)
    # SHA-256 of the code teachers join with; null until an admin asks for one.
    join_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                                 server_default=func.now())


class SchoolStaff(Base):
    """An account on a school's staff: its admin or one of its teachers."""

    __tablename__ = "school_staff"
    __table_args__ = (one_of("role", STAFF_ROLES),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    school_id: Mapped[int] = mapped_column(
        ForeignKey("schools.id", ondelete="CASCADE"), nullable=False, index=True)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                                server_default=func.now())
