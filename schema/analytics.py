"""GraphQL for the course platform: admin analytics (platform admins only).

Each figure is defined in ``resolvers/analytics.py``. A ``course`` argument that is not a
well-formed Course global ID is BAD_USER_INPUT ``Invalid Course id`` (``schema/pages.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from resolvers import analytics
from schema.enrollments import EnrollmentStatus
from schema.pages import global_int_id


@strawberry.type(description="Sign-ups on one UTC day.")
class DayCount:
    date: dt.date = strawberry.field(description="The UTC day.")
    count: int = strawberry.field(description="Accounts created that day.")


@strawberry.type(description="Distinct users with learning activity in the last 1, 7 and 30 "
                             "days up to the reference day.")
class ActiveUsers:
    daily: int = strawberry.field(description="Active on the reference day.")
    weekly: int = strawberry.field(description="Active in the 7 days ending with it.")
    monthly: int = strawberry.field(description="Active in the 30 days ending with it.")


@strawberry.type(description="Users whose current streak falls in a bucket.")
class StreakBucket:
    bucket: str = strawberry.field(description="0, 1-2, 3-6, 7-13, 14-29 or 30+ days.")
    count: int = strawberry.field(description="Users in the bucket.")


@strawberry.type(description="Users, sign-ups, activity and streaks.")
class AnalyticsOverview:
    total_users: int = strawberry.field(description="Accounts up to the end of the window.")
    new_signups_by_day: list[DayCount] = strawberry.field(
        description="Sign-ups per day in the window, days without any left out.")
    active_users: ActiveUsers = strawberry.field(description="Active user counts.")
    streak_distribution: list[StreakBucket] = strawberry.field(
        description="Users per current-streak bucket.")


@strawberry.type(description="Time on topics, tutor chat use and content completion.")
class AnalyticsEngagement:
    avg_time_per_topic_seconds: float = strawberry.field(
        description="Mean time spent on a content item (rows with time spent).")
    avg_chat_turns_per_topic_per_user: float = strawberry.field(
        description="Mean user chat messages per (user, content item).")
    avg_session_duration_seconds: float = strawberry.field(
        description="Mean first-to-last message time of a chat session.")
    content_started: int = strawberry.field(description="Content items started.")
    content_completed: int = strawberry.field(description="Of those, completed.")
    completion_rate: float = strawberry.field(description="Completed / started, in percent.")


@strawberry.type(description="Enrollments with one status.")
class EnrollmentStatusCount:
    status: EnrollmentStatus = strawberry.field(description="The status counted.")
    count: int = strawberry.field(description="Enrollments with it.")


@strawberry.type(description="Enrollment and progress figures of one course.")
class CourseProgressAnalytics:
    course_id: relay.GlobalID = strawberry.field(
        description="The course's global ID (a `Course` for `node`).")
    title: str = strawberry.field(description="The course title.")
    enrollments: int = strawberry.field(description="Enrollments in the window.")
    completed: int = strawberry.field(description="Of those, completed.")
    drop_offs: int = strawberry.field(description="Of those, dropped or withdrawn.")
    avg_progress_percent: float = strawberry.field(
        description="Mean progress of its course trees started in the window.")


@strawberry.type(description="Mastery, course tree completion and enrollment outcomes.")
class AnalyticsProgress:
    avg_mastered_topics_per_user: float = strawberry.field(
        description="Mean content items at 100 % per learner with progress.")
    course_tree_completions: int = strawberry.field(description="Course trees at 100 %.")
    course_tree_interruptions: int = strawberry.field(
        description="Course trees below 100 % untouched for 14 days.")
    enrollments_by_status: list[EnrollmentStatusCount] = strawberry.field(
        description="Enrollments per status.")
    drop_off_count: int = strawberry.field(description="Dropped or withdrawn enrollments.")
    per_course: list[CourseProgressAnalytics] = strawberry.field(
        description="Figures per course with enrollments.")


@strawberry.type(description="Quizzes and labs.")
class AnalyticsAssessments:
    quiz_attempts: int = strawberry.field(description="Quiz attempts submitted.")
    passed: int = strawberry.field(description="Attempts that passed.")
    failed: int = strawberry.field(description="Attempts that failed.")
    pass_rate: float = strawberry.field(description="Passed / attempts, in percent.")
    avg_quiz_score: float = strawberry.field(description="Mean quiz score (0–100).")
    lab_submissions: int = strawberry.field(description="Lab submissions.")
    avg_lab_score: float = strawberry.field(description="Mean score of graded submissions.")


@strawberry.type(description="What learners make together.")
class AnalyticsCommunity:
    notes: int = strawberry.field(description="Notes written.")
    flashcards: int = strawberry.field(description="Flashcards made.")
    flashcard_reviews: int = strawberry.field(description="Flashcard reviews done.")
    discussion_threads: int = strawberry.field(description="Discussion threads opened.")
    discussion_posts: int = strawberry.field(description="Discussion posts written.")
    avg_course_rating: float = strawberry.field(description="Mean course rating (1–5).")
    total_reviews: int = strawberry.field(description="Course reviews written.")


DateFrom = Annotated[dt.date | None, strawberry.argument(
    description="The window's first UTC day (inclusive); none leaves it open.")]
DateTo = Annotated[dt.date | None, strawberry.argument(
    description="The window's last UTC day (inclusive), the day rolling counts end on; none "
                "leaves it open (today).")]
CourseFilter = Annotated[relay.GlobalID | None, strawberry.argument(
    description="Only this course's activity (a course's global ID).")]


def _course_id(course: relay.GlobalID | None) -> int | None:
    if course is None:
        return None
    return global_int_id(course, "Course", field="course")


@strawberry.type(description="The platform dashboard. Dates are UTC days, both inclusive.")
class AdminAnalytics:
    @strawberry.field(description="Users, sign-ups, active users and streaks.")
    async def overview(self, info: Info, date_from: DateFrom = None,
                       date_to: DateTo = None) -> AnalyticsOverview:
        result = await analytics.overview(info.context, date_from=date_from, date_to=date_to)
        return AnalyticsOverview(
            total_users=result.total_users,
            new_signups_by_day=[DayCount(date=d.date, count=d.count)
                                for d in result.new_signups_by_day],
            active_users=ActiveUsers(**vars(result.active_users)),
            streak_distribution=[StreakBucket(bucket=b.bucket, count=b.count)
                                 for b in result.streak_distribution])

    @strawberry.field(description="Time on topics, chat turns and content completion.")
    async def engagement(self, info: Info, date_from: DateFrom = None,
                         date_to: DateTo = None,
                         course: CourseFilter = None) -> AnalyticsEngagement:
        result = await analytics.engagement(info.context, date_from=date_from, date_to=date_to,
                                            course_id=_course_id(course))
        return AnalyticsEngagement(**vars(result))

    @strawberry.field(description="Mastery, course trees and enrollment outcomes.")
    async def progress(self, info: Info, date_from: DateFrom = None,
                       date_to: DateTo = None,
                       course: CourseFilter = None) -> AnalyticsProgress:
        result = await analytics.progress(info.context, date_from=date_from, date_to=date_to,
                                          course_id=_course_id(course))
        return AnalyticsProgress(
            avg_mastered_topics_per_user=result.avg_mastered_topics_per_user,
            course_tree_completions=result.course_tree_completions,
            course_tree_interruptions=result.course_tree_interruptions,
            enrollments_by_status=[
                EnrollmentStatusCount(status=EnrollmentStatus(s.status), count=s.count)
                for s in result.enrollments_by_status],
            drop_off_count=result.drop_off_count,
            per_course=[CourseProgressAnalytics(**{
                **vars(c), "course_id": relay.GlobalID("Course", str(c.course_id))})
                for c in result.per_course])

    @strawberry.field(description="Quizzes and labs.")
    async def assessments(self, info: Info, date_from: DateFrom = None,
                          date_to: DateTo = None) -> AnalyticsAssessments:
        result = await analytics.assessments(info.context, date_from=date_from,
                                             date_to=date_to)
        return AnalyticsAssessments(**vars(result))

    @strawberry.field(description="Notes, flashcards, discussions and ratings.")
    async def community(self, info: Info, date_from: DateFrom = None,
                        date_to: DateTo = None) -> AnalyticsCommunity:
        result = await analytics.community(info.context, date_from=date_from,
                                           date_to=date_to)
        return AnalyticsCommunity(**vars(result))


@strawberry.type
class AnalyticsQuery:
    @strawberry.field(description="The admin analytics dashboard (platform admins only).")
    def admin_analytics(self, info: Info) -> AdminAnalytics:
        analytics.require_admin(info.context)
        return AdminAnalytics()


@strawberry.type
class AnalyticsMutation:
    pass
