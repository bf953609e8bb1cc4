"""Admin analytics over the course platform's tables, computed in SQL (platform admins only).

Every report takes an optional window ``date_from``..``date_to`` of UTC dates,
both inclusive (``date_to`` before ``date_from`` is a Validation error).
A row is in the window when its timestamp falls on one of those days; a
missing bound leaves that side open. Rates are percentages (0–100);
averages and rates are rounded to 2 decimals; no data gives zeros. Where a
``course_id`` filter is taken, an unknown course is NotFound.

overview
  total_users: accounts created up to the end of ``date_to`` (all when open).
  new_signups_by_day: ``[{date, count}]`` of accounts created per UTC day in
    the window, days without sign-ups left out, oldest first.
  active_users {daily, weekly, monthly}: distinct users with a learning
    activity (``learning_activities.occurred_at``) in the 1, 7 and 30 UTC
    days ending with the reference day (``date_to``, else today).
  streak_distribution: ``[{bucket, count}]`` of the users counted in
    total_users by their current streak as of now, as ``GET /users/me`` shows
    it: the stored ``users.current_streak_days`` while their last active day
    is today or yesterday in their own time zone, else 0 (never active is 0),
    in the buckets 0, 1-2, 3-6, 7-13, 14-29, 30+ (always all six, in that
    order).

engagement (``course_id`` filter through the content item's course)
  Scope: content_progress rows whose ``started_at`` is in the window.
  content_started: rows in scope; content_completed: those with a
    ``completed_at``; completion_rate: completed / started × 100.
  avg_time_per_topic_seconds: mean ``time_spent_seconds`` over rows in scope
    with time spent > 0.
  avg_chat_turns_per_topic_per_user: user-role chat messages sent in the
    window, counted per (user, content item) and averaged over the pairs
    that sent at least one.
  avg_session_duration_seconds: per chat session, seconds from its first to
    its last message in the window; averaged over sessions with a message
    in the window (a one-message session lasts 0 s).

progress (``course_id`` filter)
  avg_mastered_topics_per_user: over the users with content_progress rows
    started in the window, the mean number of distinct content items they
    have at 100 %.
  course_tree_completions / course_tree_interruptions: module_progress rows
    of COURSE_ROOT modules started in the window that are at 100 % / below
    100 % and untouched (``updated_at``) for 14 days before the reference
    instant (end of ``date_to``, else now).
  enrollments_by_status: enrollments with ``enrolled_at`` in the window per
    status (every status listed, zeros included); drop_off_count: those
    DROPPED or WITHDRAWN.
  per_course: for each course with enrollments in the window (by course id):
    enrollments, completed (status COMPLETED), drop_offs, and
    avg_progress_percent of its COURSE_ROOT module_progress rows started in
    the window.

assessments
  quiz_attempts (``submitted_at`` in the window), passed, failed, pass_rate
  (passed / attempts × 100), avg_quiz_score; lab_submissions (``created_at``
  in the window) and avg_lab_score over the graded ones (score set).

community
  notes, flashcards, discussion_threads, discussion_posts and total_reviews
  created in the window, flashcard_reviews reviewed in it, and
  avg_course_rating over those reviews.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import (
    Select,
    case,
    column,
    distinct,
    func,
    literal,
    literal_column,
    select,
    table,
)

from core.auth.viewer import ROLE_PLATFORM_ADMIN
from core.context import Context
from core.errors import NotFound, Validation
from models.chat import ChatMessage, ChatSession
from models.community import (
    CourseReview,
    DiscussionPost,
    DiscussionThread,
    Flashcard,
    FlashcardReview,
    Note,
)
from models.course import ENROLLMENT_STATUSES, ContentItem, Course, CourseOffering, Enrollment
from models.course import Module as CourseModule
from models.learning import (
    ContentProgress,
    LabSubmission,
    LearningActivity,
    ModuleProgress,
    QuizAttempt,
)
from models.user import User

STREAK_BUCKETS = (("0", 0, 0), ("1-2", 1, 2), ("3-6", 3, 6), ("7-13", 7, 13),
                  ("14-29", 14, 29), ("30+", 30, None))
INTERRUPTED_AFTER = timedelta(days=14)
DROP_OFF_STATUSES = ("DROPPED", "WITHDRAWN")


@dataclass(frozen=True)
class Window:
    """UTC days ``date_from``..``date_to``, inclusive; either side may be open."""

    date_from: date | None = None
    date_to: date | None = None

    @property
    def start(self) -> datetime | None:
        return datetime.combine(self.date_from, time.min, UTC) if self.date_from else None

    @property
    def end(self) -> datetime | None:
        """The instant just after the window (midnight after ``date_to``)."""
        if self.date_to is None:
            return None
        return datetime.combine(self.date_to + timedelta(days=1), time.min, UTC)

    def where(self, column) -> list:
        conditions = []
        if self.start is not None:
            conditions.append(column >= self.start)
        if self.end is not None:
            conditions.append(column < self.end)
        return conditions


@dataclass(frozen=True)
class DayCount:
    date: date
    count: int


@dataclass(frozen=True)
class ActiveUsers:
    daily: int
    weekly: int
    monthly: int


@dataclass(frozen=True)
class BucketCount:
    bucket: str
    count: int


@dataclass(frozen=True)
class Overview:
    total_users: int
    new_signups_by_day: list[DayCount]
    active_users: ActiveUsers
    streak_distribution: list[BucketCount]


@dataclass(frozen=True)
class Engagement:
    avg_time_per_topic_seconds: float
    avg_chat_turns_per_topic_per_user: float
    avg_session_duration_seconds: float
    content_started: int
    content_completed: int
    completion_rate: float


@dataclass(frozen=True)
class StatusCount:
    status: str
    count: int


@dataclass(frozen=True)
class CourseProgress:
    course_id: int
    title: str
    enrollments: int
    completed: int
    drop_offs: int
    avg_progress_percent: float


@dataclass(frozen=True)
class Progress:
    avg_mastered_topics_per_user: float
    course_tree_completions: int
    course_tree_interruptions: int
    enrollments_by_status: list[StatusCount]
    drop_off_count: int
    per_course: list[CourseProgress]


@dataclass(frozen=True)
class Assessments:
    quiz_attempts: int
    passed: int
    failed: int
    pass_rate: float
    avg_quiz_score: float
    lab_submissions: int
    avg_lab_score: float


@dataclass(frozen=True)
class Community:
    notes: int
    flashcards: int
    flashcard_reviews: int
    discussion_threads: int
    discussion_posts: int
    avg_course_rating: float
    total_reviews: int


def _round(value: float | Decimal | None) -> float:
    return 0.0 if value is None else round(float(value), 2)


def rate(part: int, whole: int) -> float:
    """``part`` as a percentage of ``whole``, 2 decimals (a half rounds up, as
    ``rate_sql`` does in PostgreSQL); 0.0 when ``whole`` is 0."""
    if not whole:
        return 0.0
    return float((Decimal(part * 100) / Decimal(whole)).quantize(Decimal("0.01"),
                                                                   rounding=ROUND_HALF_UP))


def rate_sql(part, whole):
    """``rate`` as a SQL expression over two integer expressions (for planned reads)."""
    return case((whole == 0, literal(Decimal("0.0"))),
                else_=func.round(part * literal(Decimal("100.0")) / whole, 2))


def window(*, date_from: date | None, date_to: date | None) -> Window:
    """The report window; Validation when it ends before it starts."""
    if date_from and date_to and date_to < date_from:
        raise Validation("date_to must not be before date_from",
                         details={"field": "date_to"})
    return Window(date_from=date_from, date_to=date_to)


def require_admin(ctx: Context) -> None:
    """Analytics are for platform admins."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)


async def _prepare(ctx: Context, *, date_from: date | None, date_to: date | None,
                   course_id: int | None = None) -> Window:
    require_admin(ctx)
    result = window(date_from=date_from, date_to=date_to)
    if course_id is not None:
        async with ctx.db.session() as session:
            if await session.get(Course, course_id) is None:
                raise NotFound("Course not found")
    return result


def _utc_day(column):
    return func.date(func.timezone("UTC", column))


_TIME_ZONES = table("pg_timezone_names", column("name"))


def _current_streak():
    """``activity.current_streak`` in SQL: the stored streak while the user's last active
    day is today or yesterday in their time zone (UTC when PostgreSQL does not know it),
    else 0."""
    zone = case((User.time_zone.in_(select(_TIME_ZONES.c.name)), User.time_zone),
                else_=literal("UTC"))
    today = func.date(func.timezone(zone, func.now()))
    yesterday = today - literal_column("1")
    return case((User.last_activity_date >= yesterday, User.current_streak_days), else_=0)


def _course(query: Select, column, course_id: int | None) -> Select:
    return query if course_id is None else query.where(column == course_id)


async def overview(ctx: Context, *, date_from: date | None = None,
                   date_to: date | None = None) -> Overview:
    """Users, sign-ups per day, active users and streaks."""
    win = await _prepare(ctx, date_from=date_from, date_to=date_to)
    reference = win.end or datetime.combine(datetime.now(UTC).date() + timedelta(days=1),
                                            time.min, UTC)
    registered = [User.created_at < win.end] if win.end else []
    occurred = LearningActivity.occurred_at

    def active_since(days: int):
        return func.count(distinct(LearningActivity.user_id)).filter(
            occurred >= reference - timedelta(days=days))

    current = _current_streak()
    streak = case(*[(current <= high, name)
                    for name, _, high in STREAK_BUCKETS if high is not None],
                  else_=STREAK_BUCKETS[-1][0])
    async with ctx.db.session() as session:
        total = (await session.execute(
            select(func.count()).select_from(User).where(*registered))).scalar_one()
        day = _utc_day(User.created_at).label("day")
        signups = (await session.execute(
            select(day, func.count()).where(*win.where(User.created_at))
            .group_by(day).order_by(day))).all()
        active = (await session.execute(
            select(active_since(1), active_since(7), active_since(30)).where(
                occurred < reference, occurred >= reference - timedelta(days=30)))).one()
        streaks = dict((await session.execute(
            select(streak, func.count()).where(*registered).group_by(streak))).all())
    return Overview(
        total_users=total,
        new_signups_by_day=[DayCount(date=d, count=c) for d, c in signups],
        active_users=ActiveUsers(daily=active[0], weekly=active[1], monthly=active[2]),
        streak_distribution=[BucketCount(bucket=name, count=streaks.get(name, 0))
                             for name, _, _ in STREAK_BUCKETS])


async def engagement(ctx: Context, *, date_from: date | None = None,
                     date_to: date | None = None, course_id: int | None = None) -> Engagement:
    """Time on topics, chat turns and session length, content started and completed."""
    win = await _prepare(ctx, date_from=date_from, date_to=date_to, course_id=course_id)
    progress = _course(
        select(func.count(),
               func.count().filter(ContentProgress.completed_at.is_not(None)),
               func.avg(ContentProgress.time_spent_seconds).filter(
                   ContentProgress.time_spent_seconds > 0))
        .join(ContentItem, ContentItem.id == ContentProgress.content_item_id)
        .where(*win.where(ContentProgress.started_at)), ContentItem.course_id, course_id)
    messages = _course(
        select(ChatSession.id.label("session_id"), ChatSession.user_id,
               ChatSession.content_item_id, ChatMessage.role, ChatMessage.created_at)
        .join(ChatSession, ChatSession.id == ChatMessage.session_id)
        .join(ContentItem, ContentItem.id == ChatSession.content_item_id)
        .where(*win.where(ChatMessage.created_at)), ContentItem.course_id, course_id).subquery()
    turns = (select(func.count().label("turns")).select_from(messages)
             .where(messages.c.role == "user")
             .group_by(messages.c.user_id, messages.c.content_item_id).subquery())
    durations = (select(func.extract("epoch", func.max(messages.c.created_at)
                                     - func.min(messages.c.created_at)).label("seconds"))
                 .group_by(messages.c.session_id).subquery())
    async with ctx.db.session() as session:
        started, completed, avg_time = (await session.execute(progress)).one()
        avg_turns = (await session.execute(select(func.avg(turns.c.turns)))).scalar_one()
        avg_duration = (await session.execute(
            select(func.avg(durations.c.seconds)))).scalar_one()
    return Engagement(avg_time_per_topic_seconds=_round(avg_time),
                      avg_chat_turns_per_topic_per_user=_round(avg_turns),
                      avg_session_duration_seconds=_round(avg_duration),
                      content_started=started, content_completed=completed,
                      completion_rate=rate(completed, started))


async def progress(ctx: Context, *, date_from: date | None = None,
                   date_to: date | None = None, course_id: int | None = None) -> Progress:
    """Mastered topics, course tree completions and interruptions, enrollments."""
    win = await _prepare(ctx, date_from=date_from, date_to=date_to, course_id=course_id)
    stalled_before = (win.end or datetime.now(UTC)) - INTERRUPTED_AFTER
    mastered = _course(
        select(func.count(distinct(ContentProgress.content_item_id)).filter(
            ContentProgress.progress_percent == 100).label("mastered"))
        .join(ContentItem, ContentItem.id == ContentProgress.content_item_id)
        .where(*win.where(ContentProgress.started_at)).group_by(ContentProgress.user_id),
        ContentItem.course_id, course_id).subquery()
    roots = _course(
        select(CourseModule.course_id, ModuleProgress.progress_percent,
               ModuleProgress.updated_at)
        .join(CourseModule, CourseModule.id == ModuleProgress.module_id)
        .where(CourseModule.module_type == "COURSE_ROOT",
               *win.where(ModuleProgress.started_at)),
        CourseModule.course_id, course_id).subquery()
    trees = select(
        func.count().filter(roots.c.progress_percent == 100),
        func.count().filter(roots.c.progress_percent < 100,
                            roots.c.updated_at < stalled_before)).select_from(roots)
    root_avg = select(roots.c.course_id, func.avg(roots.c.progress_percent)).group_by(
        roots.c.course_id)
    enrolled = _course(
        select(CourseOffering.course_id, Enrollment.status)
        .join(CourseOffering, CourseOffering.id == Enrollment.course_offering_id)
        .where(*win.where(Enrollment.enrolled_at)),
        CourseOffering.course_id, course_id).subquery()
    by_status = select(enrolled.c.status, func.count()).group_by(enrolled.c.status)
    per_course = (
        select(Course.id, Course.title, func.count(),
               func.count().filter(enrolled.c.status == "COMPLETED"),
               func.count().filter(enrolled.c.status.in_(DROP_OFF_STATUSES)))
        .select_from(enrolled).join(Course, Course.id == enrolled.c.course_id)
        .group_by(Course.id, Course.title).order_by(Course.id))
    async with ctx.db.session() as session:
        avg_mastered = (await session.execute(
            select(func.avg(mastered.c.mastered)))).scalar_one()
        completions, interruptions = (await session.execute(trees)).one()
        averages = dict((await session.execute(root_avg)).all())
        statuses = dict((await session.execute(by_status)).all())
        courses = (await session.execute(per_course)).all()
    return Progress(
        avg_mastered_topics_per_user=_round(avg_mastered),
        course_tree_completions=completions, course_tree_interruptions=interruptions,
        enrollments_by_status=[StatusCount(status=s, count=statuses.get(s, 0))
                               for s in ENROLLMENT_STATUSES],
        drop_off_count=sum(statuses.get(s, 0) for s in DROP_OFF_STATUSES),
        per_course=[CourseProgress(course_id=cid, title=title, enrollments=total,
                                   completed=done, drop_offs=dropped,
                                   avg_progress_percent=_round(averages.get(cid)))
                    for cid, title, total, done, dropped in courses])


async def assessments(ctx: Context, *, date_from: date | None = None,
                      date_to: date | None = None) -> Assessments:
    """Quiz attempts and pass rate, lab submissions and scores."""
    win = await _prepare(ctx, date_from=date_from, date_to=date_to)
    quizzes = select(func.count(), func.count().filter(QuizAttempt.passed),
                     func.avg(QuizAttempt.score)).where(*win.where(QuizAttempt.submitted_at))
    labs = select(func.count(), func.avg(LabSubmission.score)).where(
        *win.where(LabSubmission.created_at))
    async with ctx.db.session() as session:
        attempts, passed, avg_quiz = (await session.execute(quizzes)).one()
        submissions, avg_lab = (await session.execute(labs)).one()
    return Assessments(quiz_attempts=attempts, passed=passed, failed=attempts - passed,
                       pass_rate=rate(passed, attempts), avg_quiz_score=_round(avg_quiz),
                       lab_submissions=submissions, avg_lab_score=_round(avg_lab))


async def community(ctx: Context, *, date_from: date | None = None,
                    date_to: date | None = None) -> Community:
    """Notes, flashcards and reviews of them, discussions and course ratings."""
    win = await _prepare(ctx, date_from=date_from, date_to=date_to)

    def counted(model, column):
        return (select(func.count()).select_from(model).where(*win.where(column))
                .scalar_subquery())

    query = select(
        counted(Note, Note.created_at), counted(Flashcard, Flashcard.created_at),
        counted(FlashcardReview, FlashcardReview.reviewed_at),
        counted(DiscussionThread, DiscussionThread.created_at),
        counted(DiscussionPost, DiscussionPost.created_at),
        select(func.avg(CourseReview.rating)).where(*win.where(CourseReview.created_at))
        .scalar_subquery(),
        counted(CourseReview, CourseReview.created_at))
    async with ctx.db.session() as session:
        notes, cards, reviews, threads, posts, rating, ratings = (
            await session.execute(query)).one()
    return Community(notes=notes, flashcards=cards, flashcard_reviews=reviews,
                     discussion_threads=threads, discussion_posts=posts,
                     avg_course_rating=_round(rating), total_reviews=ratings)

