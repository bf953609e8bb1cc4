"""The course catalog: universities, departments, subjects, courses, offerings,
enrollments, the module tree and its content.

Ids are integers (the course platform has always exposed them); GraphQL wraps
them in global IDs. Enumerations are strings guarded by CHECK constraints.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamps

COURSE_KINDS = ("COURSE", "CODELAB")
COURSE_LEVELS = ("INTRODUCTORY", "INTERMEDIATE", "ADVANCED", "GRADUATE", "PROFESSIONAL")
VISIBILITIES = ("PUBLIC", "UNLISTED", "PRIVATE")
ENROLLMENT_STATUSES = ("ACTIVE", "COMPLETED", "DROPPED", "WITHDRAWN", "PENDING")
MODULE_TYPES = ("COURSE_ROOT", "UNIT", "CHAPTER", "LESSON", "TOPIC", "SECTION", "LAB", "QUIZ")
LEARNING_GOALS = ("CAREER_ADVANCEMENT", "CAREER_CHANGE", "ACADEMIC", "PERSONAL_INTEREST",
                  "SKILL_BUILDING", "EXAM_PREPARATION")
STUDY_LEVELS = ("HIGH_SCHOOL", "UNDERGRADUATE", "GRADUATE", "POSTGRADUATE", "PROFESSIONAL",
                "SELF_LEARNER")
GRADES = ("FRESHMAN", "SOPHOMORE", "JUNIOR", "SENIOR", "GRADUATE", "OTHER")


def one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=f"{column}_valid")


def int_pk() -> Mapped[int]:
    return mapped_column(BigInteger, Identity(always=False), primary_key=True)


class University(Timestamps, Base):
    __tablename__ = "universities"

    id: Mapped[int] = int_pk()
    name: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    short_name: Mapped[str | None] = mapped_column(String(40))
    country: Mapped[str | None] = mapped_column(String(80))
    website_url: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, nullable=False, server_default="")


class Department(Timestamps, Base):
    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("university_id", "name",
                                       name="uq_departments_university_name"),)

    id: Mapped[int] = int_pk()
    university_id: Mapped[int] = mapped_column(
        ForeignKey("universities.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    code: Mapped[str | None] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text, nullable=False, server_default="")


class Subject(Timestamps, Base):
    __tablename__ = "subjects"

    id: Mapped[int] = int_pk()
    name: Mapped[str] = mapped_column(String(120), nullable=False, unique=True)
    description: Mapped[str] = mapped_column(Text, nullable=False, server_default="")


class UserProfile(Timestamps, Base):
    """Onboarding answers of a learner."""

    __tablename__ = "user_profiles"
    __table_args__ = (one_of("learning_goal", LEARNING_GOALS), one_of("study_level", STUDY_LEVELS),
                      one_of("grade", GRADES))

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    learning_goal: Mapped[str | None] = mapped_column(String(40))
    study_level: Mapped[str | None] = mapped_column(String(40))
    grade: Mapped[str | None] = mapped_column(String(40))


class UserSubjectPreference(Base):
    __tablename__ = "user_subject_preferences"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    subject_id: Mapped[int] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True, index=True)


class Course(Timestamps, Base):
    __tablename__ = "courses"
    __table_args__ = (one_of("level", COURSE_LEVELS), one_of("kind", COURSE_KINDS),
                      CheckConstraint("credit_hours >= 0", name="credit_hours_non_negative"))

    id: Mapped[int] = int_pk()
    # COURSE, or CODELAB: a workshop whose modules are its steps (models/codelab.py).
    kind: Mapped[str] = mapped_column(String(20), nullable=False, server_default="COURSE")
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    code: Mapped[str] = mapped_column(String(40), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    level: Mapped[str] = mapped_column(String(20), nullable=False, server_default="INTRODUCTORY")
    credit_hours: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    is_published: Mapped[bool] = mapped_column(Boolean, nullable=False,
                                               server_default=text("false"))
    cache_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False,
                                                server_default=text("true"))
    # The model the AI tutor uses for this course; null means the deployment default.
    llm_model: Mapped[str | None] = mapped_column(String(100))
    university_id: Mapped[int | None] = mapped_column(
        ForeignKey("universities.id", ondelete="SET NULL"), index=True)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL"), index=True)
    primary_subject_id: Mapped[int | None] = mapped_column(
        ForeignKey("subjects.id", ondelete="SET NULL"), index=True)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))


class CourseOffering(Timestamps, Base):
    """One run of a course (a term), with its dates and enrollment window."""

    __tablename__ = "course_offerings"
    __table_args__ = (one_of("visibility", VISIBILITIES),
                      CheckConstraint("ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at",
                                      name="dates_ordered"),
                      CheckConstraint("enrollment_end IS NULL OR enrollment_start IS NULL "
                                      "OR enrollment_end > enrollment_start",
                                      name="enrollment_window_ordered"))

    id: Mapped[int] = int_pk()
    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), nullable=False, index=True)
    term_name: Mapped[str] = mapped_column(String(120), nullable=False)
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    enrollment_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    enrollment_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    visibility: Mapped[str] = mapped_column(String(20), nullable=False, server_default="PUBLIC")


class Enrollment(Timestamps, Base):
    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("user_id", "course_offering_id",
                                       name="uq_enrollments_user_offering"),
                      one_of("status", ENROLLMENT_STATUSES))

    id: Mapped[int] = int_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    course_offering_id: Mapped[int] = mapped_column(
        ForeignKey("course_offerings.id", ondelete="CASCADE"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="ACTIVE")
    enrolled_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Module(Timestamps, Base):
    """A node of a course's module tree.

    The parent must belong to the same course: the composite foreign key
    (parent_module_id, course_id) makes that a database rule. Cycles are
    prevented where a module is moved (resolvers) since a new module can
    only hang under an existing one.
    """

    __tablename__ = "modules"
    __table_args__ = (
        UniqueConstraint("id", "course_id", name="uq_modules_id_course"),
        ForeignKeyConstraint(["parent_module_id", "course_id"], ["modules.id", "modules.course_id"],
                             name="fk_modules_parent_same_course", ondelete="CASCADE"),
        CheckConstraint("parent_module_id IS NULL OR parent_module_id <> id",
                        name="not_own_parent"),
        Index("ix_modules_course_parent_seq", "course_id", "parent_module_id", "sequence_index"),
        # A module's children in tree order (sequence_index, id), read without a sort.
        Index("ix_modules_parent_seq", "parent_module_id", "sequence_index", "id"),
        one_of("module_type", MODULE_TYPES),
    )

    id: Mapped[int] = int_pk()
    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), nullable=False)
    parent_module_id: Mapped[int | None] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    module_type: Mapped[str] = mapped_column(String(20), nullable=False, server_default="UNIT")
    sequence_index: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))


class ContentType(Timestamps, Base):
    """A kind of content item (video, quiz, lab, reading ...) and what its data holds."""

    __tablename__ = "content_types"

    id: Mapped[int] = int_pk()
    name: Mapped[str] = mapped_column(String(60), nullable=False, unique=True)
    label: Mapped[str] = mapped_column(String(120), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    # Keys data_json must carry for this type, and the tutor prompt linked to it.
    required_fields: Mapped[list] = mapped_column(JSONB, nullable=False,
                                                  server_default=text("'[]'::jsonb"))
    prompt_name: Mapped[str | None] = mapped_column(String(200))


class ContentItem(Timestamps, Base):
    __tablename__ = "content_items"
    __table_args__ = (
        ForeignKeyConstraint(["module_id", "course_id"], ["modules.id", "modules.course_id"],
                             name="fk_content_items_module_same_course", ondelete="CASCADE"),
        # A module's items in tree order (sequence_index, id), read without a sort.
        Index("ix_content_items_module_seq", "module_id", "sequence_index", "id"),
        CheckConstraint("estimated_duration_seconds IS NULL OR estimated_duration_seconds >= 0",
                        name="duration_non_negative"),
    )

    id: Mapped[int] = int_pk()
    module_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    course_id: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    content_type_id: Mapped[int] = mapped_column(
        ForeignKey("content_types.id", ondelete="RESTRICT"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    data_json: Mapped[dict] = mapped_column(JSONB, nullable=False,
                                            server_default=text("'{}'::jsonb"))
    sequence_index: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    estimated_duration_seconds: Mapped[int | None] = mapped_column(Integer)
