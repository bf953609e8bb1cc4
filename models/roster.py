"""The reading platform's teacher portal: classes, their students, parents' claims on a
child, and the notifications a teacher is sent.

A student is a child's account (a ``User`` with the ``CHILD`` role, signing in with
the username and PIN of its ``ChildCredential``); the user's id is also the child's
learner id on the reading platform (the ``learner_service_id`` the teacher portal
shows). The PIN is stored only as an argon2id hash: it is shown once, when the student
is created.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamps
from models.course import one_of

CLASS_NAME_LENGTH = 120
STUDENT_NAME_LENGTH = 100
NOTIFICATION_TYPES = ("parent_claim_request", "low_score", "inactive", "no_placement",
                      "child_locked_pin")
CLAIM_STATUSES = ("pending", "approved", "rejected")


class SchoolClass(Timestamps, Base):
    """A teacher's class."""

    __tablename__ = "classes"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    teacher_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(CLASS_NAME_LENGTH), nullable=False)
    year_level: Mapped[int | None] = mapped_column(Integer)
    # The school of its teacher (models/school.py), which its school admins may read.
    school_id: Mapped[int | None] = mapped_column(
        ForeignKey("schools.id", ondelete="SET NULL"), index=True)


class Student(Timestamps, Base):
    """A child in a class: their account, username and hashed PIN, and their parent."""

    __tablename__ = "students"
    __table_args__ = (Index("ix_students_class", "class_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    class_id: Mapped[int] = mapped_column(
        ForeignKey("classes.id", ondelete="CASCADE"), nullable=False)
    # The child's account; its id is the learner id of the reading platform.
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(STUDENT_NAME_LENGTH), nullable=False)
    year_level: Mapped[int] = mapped_column(Integer, nullable=False)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True)


class ParentClaim(Base):
    """A parent asking to be linked to a child; the class's teacher decides."""

    __tablename__ = "parent_claims"
    __table_args__ = (
        one_of("status", CLAIM_STATUSES),
        # One open claim per parent and child.
        Index("uq_parent_claims_pending", "student_id", "parent_id", unique=True,
              postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    student_id: Mapped[int] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"), nullable=False)
    parent_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(10), nullable=False,
                                        server_default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now(), nullable=False)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))


class TeacherNotification(Base):
    """Something a teacher should look at, raised by an event of the platform."""

    __tablename__ = "teacher_notifications"
    __table_args__ = (
        one_of("type", NOTIFICATION_TYPES),
        Index("ix_teacher_notifications_teacher", "teacher_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    teacher_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    type: Mapped[str] = mapped_column(String(30), nullable=False)
    student_id: Mapped[int | None] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"), index=True)
    claim_id: Mapped[int | None] = mapped_column(
        ForeignKey("parent_claims.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    action_url: Mapped[str] = mapped_column(String(300), nullable=False, server_default="")
    # What raised it (a quiz result, an inactive week): the same event notifies once.
    event_key: Mapped[str] = mapped_column(String(120), nullable=False, unique=True)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now(), nullable=False)
