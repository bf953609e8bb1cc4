"""2Sigma /api/v1/admin/analytics/* and GraphQL ``adminAnalytics`` over seeded activity.

The seed (see ``_seed``) puts four learners into two courses with progress,
chats, quizzes, labs and community rows at chosen instants in 2026; the
expected figures below are worked out by hand from it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from strawberry import relay

from models.chat import ChatMessage, ChatSession
from models.community import (
    CourseReview,
    DiscussionPost,
    DiscussionThread,
    Flashcard,
    FlashcardReview,
    Note,
)
from models.course import (
    ContentItem,
    ContentType,
    Course,
    CourseOffering,
    Enrollment,
    Module,
)
from models.learning import (
    ContentProgress,
    LabSubmission,
    LearningActivity,
    ModuleProgress,
    QuizAttempt,
)
from models.user import User
from tests.fixtures import bearer_for, create_user, error_codes, gql, gql_raw

BASE = "/api/v1/admin/analytics"
MARCH = "date_from=2026-03-01&date_to=2026-03-31"


def t(month: int, day: int, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


def _today(zone: str = "UTC") -> date:
    return datetime.now(ZoneInfo(zone)).date()


async def _learner(services, name: str, created: datetime, streak: int,
                   last_active: date | None = None, zone: str = "UTC") -> User:
    """A learner with a stored streak that was last active on ``last_active`` (their local
    day in ``zone``)."""
    user = await create_user(services, email=f"{name.lower()}@example.com", display_name=name)
    async with services.db.transaction() as session:
        await session.execute(update(User).where(User.id == user.id).values(
            created_at=created, current_streak_days=streak, last_activity_date=last_active,
            time_zone=zone))
    return user


async def _seed(services) -> dict:
    # Current streaks: Ann went idle a week ago (0 whatever is stored), Bob and Dee were
    # active today, Cy yesterday.
    a = await _learner(services, "Ann", t(3, 1, 10), 40, _today() - timedelta(days=7))
    b = await _learner(services, "Bob", t(3, 1, 15), 2, _today())
    c = await _learner(services, "Cy", t(3, 5), 7, _today() - timedelta(days=1))
    d = await _learner(services, "Dee", t(2, 20), 30, _today())
    async with services.db.transaction() as s:
        kind = ContentType(name="reading", label="Reading")
        x = Course(title="Linear Algebra", code="MATH 221")
        y = Course(title="Data Structures", code="CS 225")
        s.add_all([kind, x, y])
        await s.flush()
        ox = CourseOffering(course_id=x.id, term_name="Spring 2026")
        oy = CourseOffering(course_id=y.id, term_name="Spring 2026")
        rx = Module(course_id=x.id, title="Linear Algebra", module_type="COURSE_ROOT")
        ry = Module(course_id=y.id, title="Data Structures", module_type="COURSE_ROOT")
        s.add_all([ox, oy, rx, ry])
        await s.flush()
        ux = Module(course_id=x.id, parent_module_id=rx.id, title="Vectors", module_type="UNIT")
        s.add(ux)
        await s.flush()
        x1 = ContentItem(module_id=ux.id, course_id=x.id, content_type_id=kind.id,
                         title="What is a vector?")
        x2 = ContentItem(module_id=ux.id, course_id=x.id, content_type_id=kind.id,
                         title="Dot products")
        y1 = ContentItem(module_id=ry.id, course_id=y.id, content_type_id=kind.id,
                         title="Arrays and lists")
        s.add_all([x1, x2, y1])
        await s.flush()

        def activity(user, when):
            return LearningActivity(user_id=user.id, kind="CONTENT_PROGRESS", occurred_at=when,
                                    local_date=when.date())

        s.add_all([activity(a, t(3, 31)), activity(a, t(4, 1)), activity(b, t(3, 26)),
                   activity(c, t(3, 10)), activity(d, t(2, 15))])

        def content(user, item, offering, started, percent, seconds, completed=None):
            return ContentProgress(user_id=user.id, content_item_id=item.id,
                                   course_offering_id=offering.id, started_at=started,
                                   progress_percent=percent, time_spent_seconds=seconds,
                                   completed_at=completed)

        s.add_all([content(a, x1, ox, t(3, 2), 100, 600, t(3, 3)),
                   content(a, x2, ox, t(3, 4), 40, 300),
                   content(b, x1, ox, t(3, 6), 100, 900, t(3, 7)),
                   content(b, y1, oy, t(3, 10), 0, 0),
                   content(d, x1, ox, t(3, 15), 20, 120),
                   content(c, y1, oy, t(4, 5), 100, 1200, t(4, 6))])

        def root(user, module, offering, started, percent, touched):
            return ModuleProgress(user_id=user.id, module_id=module.id,
                                  course_offering_id=offering.id, started_at=started,
                                  progress_percent=percent, updated_at=touched)

        s.add_all([root(a, rx, ox, t(3, 2), 100, t(3, 20)),
                   root(b, rx, ox, t(3, 6), 50, t(3, 8)),
                   root(b, ry, oy, t(3, 10), 10, t(3, 25)),
                   root(d, rx, ox, t(3, 15), 20, t(3, 15)),
                   root(c, ry, oy, t(4, 5), 100, t(4, 6)),
                   root(a, ux, ox, t(3, 2), 100, t(3, 20))])

        s.add_all([Enrollment(user_id=a.id, course_offering_id=ox.id, status="ACTIVE",
                              enrolled_at=t(3, 1)),
                   Enrollment(user_id=b.id, course_offering_id=ox.id, status="COMPLETED",
                              enrolled_at=t(3, 2)),
                   Enrollment(user_id=b.id, course_offering_id=oy.id, status="DROPPED",
                              enrolled_at=t(3, 3)),
                   Enrollment(user_id=d.id, course_offering_id=ox.id, status="WITHDRAWN",
                              enrolled_at=t(3, 15)),
                   Enrollment(user_id=c.id, course_offering_id=oy.id, status="ACTIVE",
                              enrolled_at=t(4, 4))])

        sessions = [ChatSession(user_id=a.id, content_item_id=x1.id),
                    ChatSession(user_id=a.id, content_item_id=x1.id),
                    ChatSession(user_id=b.id, content_item_id=y1.id),
                    ChatSession(user_id=c.id, content_item_id=x2.id)]
        s.add_all(sessions)
        await s.flush()
        s1, s2, s3, s4 = sessions
        messages = [(s1, "user", t(3, 2, 10)), (s1, "assistant", t(3, 2, 10, 1)),
                    (s1, "user", t(3, 2, 10, 5)), (s1, "assistant", t(3, 2, 10, 6)),
                    (s2, "user", t(3, 3, 9)),
                    (s3, "user", t(3, 10, 12)), (s3, "assistant", t(3, 10, 12, 0, 30)),
                    (s3, "user", t(3, 10, 12, 10)), (s3, "user", t(3, 10, 12, 20)),
                    (s4, "user", t(4, 2)), (s4, "assistant", t(4, 2, 12, 1))]
        s.add_all([ChatMessage(session_id=chat.id, role=role, content="...", created_at=when)
                   for chat, role, when in messages])

        s.add_all([QuizAttempt(user_id=a.id, content_item_id=x1.id, score=80, passed=True,
                               submitted_at=t(3, 3)),
                   QuizAttempt(user_id=b.id, content_item_id=x1.id, score=50, passed=False,
                               submitted_at=t(3, 7)),
                   QuizAttempt(user_id=b.id, content_item_id=x1.id, score=70, passed=True,
                               submitted_at=t(3, 8)),
                   QuizAttempt(user_id=c.id, content_item_id=y1.id, score=90, passed=True,
                               submitted_at=t(4, 5)),
                   LabSubmission(user_id=a.id, content_item_id=x2.id, submission="v = (1, 2)",
                                 status="GRADED", score=85, created_at=t(3, 4)),
                   LabSubmission(user_id=b.id, content_item_id=x2.id, submission="w = (3, 4)",
                                 created_at=t(3, 9)),
                   LabSubmission(user_id=c.id, content_item_id=x2.id, submission="u = (0, 1)",
                                 status="GRADED", score=70, created_at=t(4, 3))])

        card = Flashcard(user_id=a.id, course_id=x.id, front="Norm?", back="Length",
                         created_at=t(3, 5))
        thread = DiscussionThread(user_id=b.id, course_id=y.id, title="Stacks vs queues",
                                  body="Which one when?", created_at=t(3, 10))
        s.add_all([card, thread,
                   Note(user_id=a.id, course_id=x.id, body="Vectors add tip to tail.",
                        created_at=t(3, 2)),
                   Note(user_id=b.id, course_id=y.id, body="Arrays are contiguous.",
                        created_at=t(3, 20)),
                   Note(user_id=c.id, course_id=y.id, body="Lists link nodes.",
                        created_at=t(4, 2)),
                   CourseReview(course_id=x.id, user_id=a.id, rating=4, created_at=t(3, 20)),
                   CourseReview(course_id=x.id, user_id=b.id, rating=5, created_at=t(3, 21)),
                   CourseReview(course_id=y.id, user_id=b.id, rating=2, created_at=t(4, 2))])
        await s.flush()
        s.add_all([FlashcardReview(flashcard_id=card.id, user_id=a.id, grade=4,
                                   reviewed_at=t(3, 6)),
                   FlashcardReview(flashcard_id=card.id, user_id=a.id, grade=5,
                                   reviewed_at=t(3, 12)),
                   FlashcardReview(flashcard_id=card.id, user_id=b.id, grade=3,
                                   reviewed_at=t(4, 1)),
                   DiscussionPost(thread_id=thread.id, user_id=a.id, body="Stacks for undo.",
                                  created_at=t(3, 11)),
                   DiscussionPost(thread_id=thread.id, user_id=c.id, body="Queues for BFS.",
                                  created_at=t(4, 3))])
    return {"x": x.id, "y": y.id}


async def _admin_headers(services) -> dict:
    admin = await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])
    return await bearer_for(services, admin)


async def _get(client, path: str, headers: dict, query: str = "") -> dict:
    response = await client.get(f"{BASE}/{path}?{query}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _streaks(zero, one, three, seven, fourteen, thirty) -> list[dict]:
    counts = (zero, one, three, seven, fourteen, thirty)
    names = ("0", "1-2", "3-6", "7-13", "14-29", "30+")
    return [{"bucket": n, "count": c} for n, c in zip(names, counts, strict=True)]


async def test_overview(client, services):
    await _seed(services)
    headers = await _admin_headers(services)
    assert await _get(client, "overview", headers, MARCH) == {
        "total_users": 4,
        "new_signups_by_day": [{"date": "2026-03-01", "count": 2},
                               {"date": "2026-03-05", "count": 1}],
        "active_users": {"daily": 1, "weekly": 2, "monthly": 3},
        "streak_distribution": _streaks(1, 1, 0, 1, 0, 1)}
    assert await _get(client, "overview", headers, "date_from=2026-03-02&date_to=2026-03-05") == {
        "total_users": 4, "new_signups_by_day": [{"date": "2026-03-05", "count": 1}],
        "active_users": {"daily": 0, "weekly": 0, "monthly": 1},
        "streak_distribution": _streaks(1, 1, 0, 1, 0, 1)}
    one_day = await _get(client, "overview", headers, "date_from=2026-03-01&date_to=2026-03-01")
    assert (one_day["total_users"], one_day["new_signups_by_day"]) == (
        3, [{"date": "2026-03-01", "count": 2}])  # both ends inclusive
    before = await _get(client, "overview", headers, "date_to=2026-02-28")
    assert before["total_users"] == 1
    assert before["new_signups_by_day"] == [{"date": "2026-02-20", "count": 1}]
    assert before["streak_distribution"] == _streaks(0, 0, 0, 0, 0, 1)
    everything = await _get(client, "overview", headers)
    assert everything["total_users"] == 5  # the admin too
    assert everything["streak_distribution"] == _streaks(2, 1, 0, 1, 0, 1)
    assert len(everything["new_signups_by_day"]) == 4


async def test_streak_distribution_counts_current_streaks_in_local_days(client, services):
    """Buckets agree with the streak ``GET /users/me`` shows: a streak ends once a whole
    local day went by idle, whatever ``users.current_streak_days`` still says."""
    created = t(3, 1)
    today = await _learner(services, "Today", created, 3, _today())
    await _learner(services, "Yesterday", created, 14, _today() - timedelta(days=1))
    idle = await _learner(services, "Idle", created, 40, _today() - timedelta(days=7))
    # At any instant at least one of these two local dates differs from the UTC one, so
    # counting in UTC days would misplace one of them.
    await _learner(services, "Kiri", created, 35,
                   _today("Pacific/Kiritimati") - timedelta(days=2), "Pacific/Kiritimati")
    await _learner(services, "Pago", created, 8,
                   _today("Pacific/Pago_Pago") - timedelta(days=1), "Pacific/Pago_Pago")
    headers = await _admin_headers(services)
    overview = await _get(client, "overview", headers)
    # 0: Idle, Kiri, the admin; 3-6: Today; 7-13: Pago; 14-29: Yesterday.
    assert overview["streak_distribution"] == _streaks(3, 0, 1, 1, 1, 0)
    assert overview["total_users"] == 6
    for learner, shown in ((today, 3), (idle, 0)):
        me = await client.get("/api/v1/users/me", headers=await bearer_for(services, learner))
        assert me.json()["current_streak_days"] == shown
    async with services.db.session() as session:
        stored = (await session.get(User, idle.id)).current_streak_days
    assert stored == 40  # a report reads, it never rewrites a streak


async def test_engagement_with_window_and_course(client, services):
    ids = await _seed(services)
    headers = await _admin_headers(services)
    assert await _get(client, "engagement", headers, MARCH) == {
        "avg_time_per_topic_seconds": 480.0, "avg_chat_turns_per_topic_per_user": 3.0,
        "avg_session_duration_seconds": 520.0, "content_started": 5, "content_completed": 2,
        "completion_rate": 40.0}
    assert await _get(client, "engagement", headers, f"{MARCH}&course_id={ids['x']}") == {
        "avg_time_per_topic_seconds": 480.0, "avg_chat_turns_per_topic_per_user": 3.0,
        "avg_session_duration_seconds": 180.0, "content_started": 4, "content_completed": 2,
        "completion_rate": 50.0}
    assert await _get(client, "engagement", headers, f"{MARCH}&course_id={ids['y']}") == {
        "avg_time_per_topic_seconds": 0.0, "avg_chat_turns_per_topic_per_user": 3.0,
        "avg_session_duration_seconds": 1200.0, "content_started": 1, "content_completed": 0,
        "completion_rate": 0.0}
    assert await _get(client, "engagement", headers) == {
        "avg_time_per_topic_seconds": 624.0, "avg_chat_turns_per_topic_per_user": 2.33,
        "avg_session_duration_seconds": 405.0, "content_started": 6, "content_completed": 3,
        "completion_rate": 50.0}


async def test_progress_with_window_and_course(client, services):
    ids = await _seed(services)
    headers = await _admin_headers(services)
    statuses = {"ACTIVE": 1, "COMPLETED": 1, "DROPPED": 1, "WITHDRAWN": 1, "PENDING": 0}
    assert await _get(client, "progress", headers, MARCH) == {
        "avg_mastered_topics_per_user": 0.67, "course_tree_completions": 1,
        "course_tree_interruptions": 2, "enrollments_by_status": statuses,
        "drop_off_count": 2,
        "per_course": [
            {"course_id": ids["x"], "title": "Linear Algebra", "enrollments": 3,
             "completed": 1, "drop_offs": 1, "avg_progress_percent": 56.67},
            {"course_id": ids["y"], "title": "Data Structures", "enrollments": 1,
             "completed": 0, "drop_offs": 1, "avg_progress_percent": 10.0}]}
    only_y = await _get(client, "progress", headers, f"{MARCH}&course_id={ids['y']}")
    assert only_y == {
        "avg_mastered_topics_per_user": 0.0, "course_tree_completions": 0,
        "course_tree_interruptions": 0,
        "enrollments_by_status": {**dict.fromkeys(statuses, 0), "DROPPED": 1},
        "drop_off_count": 1,
        "per_course": [{"course_id": ids["y"], "title": "Data Structures", "enrollments": 1,
                        "completed": 0, "drop_offs": 1, "avg_progress_percent": 10.0}]}
    everything = await _get(client, "progress", headers)
    assert everything["avg_mastered_topics_per_user"] == 0.75
    assert everything["course_tree_completions"] == 2
    assert everything["course_tree_interruptions"] == 3
    assert everything["enrollments_by_status"] == {**statuses, "ACTIVE": 2}
    assert [c["enrollments"] for c in everything["per_course"]] == [3, 2]
    assert [c["avg_progress_percent"] for c in everything["per_course"]] == [56.67, 55.0]


async def test_assessments(client, services):
    await _seed(services)
    headers = await _admin_headers(services)
    assert await _get(client, "assessments", headers, MARCH) == {
        "quiz_attempts": 3, "passed": 2, "failed": 1, "pass_rate": 66.67,
        "avg_quiz_score": 66.67, "lab_submissions": 2, "avg_lab_score": 85.0}
    assert await _get(client, "assessments", headers,
                      "date_from=2026-03-05&date_to=2026-03-08") == {
        "quiz_attempts": 2, "passed": 1, "failed": 1, "pass_rate": 50.0,
        "avg_quiz_score": 60.0, "lab_submissions": 0, "avg_lab_score": 0.0}
    assert await _get(client, "assessments", headers) == {
        "quiz_attempts": 4, "passed": 3, "failed": 1, "pass_rate": 75.0,
        "avg_quiz_score": 72.5, "lab_submissions": 3, "avg_lab_score": 77.5}


async def test_community(client, services):
    await _seed(services)
    headers = await _admin_headers(services)
    assert await _get(client, "community", headers, MARCH) == {
        "notes": 2, "flashcards": 1, "flashcard_reviews": 2, "discussion_threads": 1,
        "discussion_posts": 1, "avg_course_rating": 4.5, "total_reviews": 2}
    assert await _get(client, "community", headers) == {
        "notes": 3, "flashcards": 1, "flashcard_reviews": 3, "discussion_threads": 1,
        "discussion_posts": 2, "avg_course_rating": 3.67, "total_reviews": 3}


async def test_empty_platform_gives_zeros(client, services):
    headers = await _admin_headers(services)
    overview = await _get(client, "overview", headers)
    assert overview["total_users"] == 1
    assert [day["count"] for day in overview["new_signups_by_day"]] == [1]
    assert overview["active_users"] == {"daily": 0, "weekly": 0, "monthly": 0}
    assert overview["streak_distribution"] == _streaks(1, 0, 0, 0, 0, 0)
    assert await _get(client, "engagement", headers) == {
        "avg_time_per_topic_seconds": 0.0, "avg_chat_turns_per_topic_per_user": 0.0,
        "avg_session_duration_seconds": 0.0, "content_started": 0, "content_completed": 0,
        "completion_rate": 0.0}
    assert await _get(client, "progress", headers) == {
        "avg_mastered_topics_per_user": 0.0, "course_tree_completions": 0,
        "course_tree_interruptions": 0,
        "enrollments_by_status": {"ACTIVE": 0, "COMPLETED": 0, "DROPPED": 0, "WITHDRAWN": 0,
                                  "PENDING": 0},
        "drop_off_count": 0, "per_course": []}
    assert await _get(client, "assessments", headers) == {
        "quiz_attempts": 0, "passed": 0, "failed": 0, "pass_rate": 0.0, "avg_quiz_score": 0.0,
        "lab_submissions": 0, "avg_lab_score": 0.0}
    assert await _get(client, "community", headers) == {
        "notes": 0, "flashcards": 0, "flashcard_reviews": 0, "discussion_threads": 0,
        "discussion_posts": 0, "avg_course_rating": 0.0, "total_reviews": 0}


PATHS = ("overview", "engagement", "progress", "assessments", "community")


async def test_only_platform_admins(client, services):
    student = await create_user(services, email="stu@example.com")
    teacher = await create_user(services, email="tea@example.com", roles=["INSTRUCTOR"])
    for path in PATHS:
        anonymous = await client.get(f"{BASE}/{path}")
        assert anonymous.status_code == 401
        assert anonymous.json() == {"detail": "Not authenticated"}
        for user in (student, teacher):
            response = await client.get(f"{BASE}/{path}",
                                        headers=await bearer_for(services, user))
            assert response.status_code == 403
            assert response.json() == {"detail": "You do not have permission to do this"}


async def test_bad_parameters(client, services):
    headers = await _admin_headers(services)
    for path in PATHS:
        reversed_window = await client.get(
            f"{BASE}/{path}?date_from=2026-03-02&date_to=2026-03-01", headers=headers)
        assert reversed_window.status_code == 400
        assert reversed_window.json() == {"detail": "date_to must not be before date_from"}
        bad_date = await client.get(f"{BASE}/{path}?date_from=March", headers=headers)
        assert bad_date.status_code == 422
        assert bad_date.json()["detail"][0]["loc"] == ["query", "date_from"]
        same_day = await client.get(
            f"{BASE}/{path}?date_from=2026-03-01&date_to=2026-03-01", headers=headers)
        assert same_day.status_code == 200
    for path in ("engagement", "progress"):
        bad_course = await client.get(f"{BASE}/{path}?course_id=abc", headers=headers)
        assert bad_course.status_code == 422
        assert bad_course.json()["detail"][0]["loc"] == ["query", "course_id"]
        missing = await client.get(f"{BASE}/{path}?course_id=999999", headers=headers)
        assert missing.status_code == 404
        assert missing.json() == {"detail": "Course not found"}


ANALYTICS = """
query Analytics($from: Date, $to: Date, $course: ID) {
  adminAnalytics {
    overview(dateFrom: $from, dateTo: $to) {
      totalUsers newSignupsByDay { date count } activeUsers { daily weekly monthly }
      streakDistribution { bucket count }
    }
    engagement(dateFrom: $from, dateTo: $to, course: $course) {
      avgTimePerTopicSeconds avgChatTurnsPerTopicPerUser avgSessionDurationSeconds
      contentStarted contentCompleted completionRate
    }
    progress(dateFrom: $from, dateTo: $to, course: $course) {
      avgMasteredTopicsPerUser courseTreeCompletions courseTreeInterruptions
      enrollmentsByStatus { status count } dropOffCount
      perCourse { courseId title enrollments completed dropOffs avgProgressPercent }
    }
    assessments(dateFrom: $from, dateTo: $to) {
      quizAttempts passed failed passRate avgQuizScore labSubmissions avgLabScore
    }
    community(dateFrom: $from, dateTo: $to) {
      notes flashcards flashcardReviews discussionThreads discussionPosts avgCourseRating
      totalReviews
    }
  }
}"""


async def test_graphql_admin_analytics(client, services):
    ids = await _seed(services)
    headers = await _admin_headers(services)
    data = await gql(client, ANALYTICS, {"from": "2026-03-01", "to": "2026-03-31",
                                         "course": relay.to_base64("Course", ids["x"])},
                     headers=headers)
    report = data["adminAnalytics"]
    assert report["overview"]["totalUsers"] == 4
    assert report["overview"]["newSignupsByDay"] == [{"date": "2026-03-01", "count": 2},
                                                     {"date": "2026-03-05", "count": 1}]
    assert report["overview"]["activeUsers"] == {"daily": 1, "weekly": 2, "monthly": 3}
    assert report["engagement"] == {
        "avgTimePerTopicSeconds": 480.0, "avgChatTurnsPerTopicPerUser": 3.0,
        "avgSessionDurationSeconds": 180.0, "contentStarted": 4, "contentCompleted": 2,
        "completionRate": 50.0}
    assert report["progress"]["courseTreeInterruptions"] == 2
    assert report["progress"]["enrollmentsByStatus"] == [
        {"status": "ACTIVE", "count": 1}, {"status": "COMPLETED", "count": 1},
        {"status": "DROPPED", "count": 0}, {"status": "WITHDRAWN", "count": 1},
        {"status": "PENDING", "count": 0}]
    assert report["progress"]["perCourse"] == [
        {"courseId": relay.to_base64("Course", ids["x"]), "title": "Linear Algebra",
         "enrollments": 3, "completed": 1,
         "dropOffs": 1, "avgProgressPercent": 56.67}]
    assert report["assessments"]["passRate"] == 66.67
    assert report["community"]["avgCourseRating"] == 4.5


async def test_graphql_admin_analytics_errors(client, services):
    student = await create_user(services, email="stu@example.com")
    query = "{ adminAnalytics { community { notes } } }"
    assert error_codes(await gql_raw(client, query)) == ["UNAUTHENTICATED"]
    assert error_codes(await gql_raw(client, query,
                                     headers=await bearer_for(services, student))) == [
        "FORBIDDEN"]
    headers = await _admin_headers(services)
    reversed_window = await gql_raw(
        client, '{ adminAnalytics { overview(dateFrom: "2026-03-02", dateTo: "2026-03-01") '
                '{ totalUsers } } }', headers=headers)
    assert error_codes(reversed_window) == ["BAD_USER_INPUT"]
    not_a_course = await gql_raw(client, ANALYTICS, {
        "course": relay.to_base64("User", 1)}, headers=headers)
    assert set(error_codes(not_a_course)) == {"BAD_USER_INPUT"}
