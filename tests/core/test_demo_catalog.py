"""``learngraph seed-demo`` loads the demo university once, on the test database."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from models.course import (
    ContentItem,
    ContentType,
    Course,
    CourseOffering,
    Department,
    Enrollment,
    Module,
    Subject,
    University,
)
from models.learning import ContentProgress, LearningActivity, ModuleProgress
from models.user import User
from tests.core.test_cli import learngraph
from tests.fixtures import bearer_for, gql

COUNTED = (University, Department, Subject, ContentType, Course, CourseOffering, Module,
           ContentItem, Enrollment, ContentProgress, ModuleProgress, LearningActivity, User)
EXPECTED = {"universities": 1, "departments": 2, "subjects": 4, "content_types": 4,
            "courses": 3, "course_offerings": 3, "modules": 25, "content_items": 19,
            "enrollments": 1, "content_progress": 4, "module_progress": 1,
            "learning_activities": 4, "users": 2}


async def _counts(services) -> dict[str, int]:
    async with services.db.session() as session:
        return {model.__tablename__: (await session.execute(
            select(func.count()).select_from(model))).scalar_one() for model in COUNTED}


async def test_seed_demo_loads_the_catalog_once(client, services, database_url):
    first = await learngraph("seed-demo", database_url=database_url)
    assert first.returncode == 0, first.stderr
    assert "demo instructor: instructor@learngraph.dev / password: learngraph-demo" in (
        first.stdout)
    assert await _counts(services) == EXPECTED
    second = await learngraph("seed-demo", database_url=database_url)
    assert second.returncode == 0, second.stderr
    assert await _counts(services) == EXPECTED

    async with services.db.session() as session:
        courses = (await session.execute(select(Course).order_by(Course.id))).scalars().all()
        offerings = (await session.execute(select(CourseOffering))).scalars().all()
        instructor = (await session.execute(select(User).where(
            User.email == "instructor@learngraph.dev"))).scalar_one()
        learner = (await session.execute(select(User).where(
            User.email == "demo@learngraph.dev"))).scalar_one()
        enrollment = (await session.execute(select(Enrollment))).scalar_one()
        roots = (await session.execute(select(Module.course_id, func.count()).where(
            Module.module_type == "COURSE_ROOT").group_by(Module.course_id))).all()
        orphans = (await session.execute(select(func.count()).select_from(Module).where(
            Module.module_type != "COURSE_ROOT", Module.parent_module_id.is_(None)))).scalar()
        types = {t.name: t.required_fields for t in (await session.execute(
            select(ContentType))).scalars()}
        items = (await session.execute(select(ContentItem, ContentType.name).join(
            ContentType, ContentType.id == ContentItem.content_type_id))).all()
        done = (await session.execute(select(func.count()).select_from(ContentProgress).where(
            ContentProgress.progress_percent == 100))).scalar()

    assert [c.title for c in courses] == ["Introduction to Computer Science",
                                          "Linear Algebra", "Data Structures"]
    assert all(c.is_published and c.created_by_id == instructor.id for c in courses)
    now = datetime.now(UTC)
    assert all(o.enrollment_start < now < o.enrollment_end for o in offerings)
    assert instructor.roles == ["INSTRUCTOR"]
    assert sorted(count for _, count in roots) == [1, 1, 1] and orphans == 0
    assert set(types) == {"video", "reading", "quiz", "lab"}
    for item, type_name in items:
        assert set(types[type_name]) <= set(item.data_json), item.title
    assert enrollment.user_id == learner.id and enrollment.status == "ACTIVE"
    offering = next(o for o in offerings if o.id == enrollment.course_offering_id)
    assert offering.course_id == courses[0].id
    assert done == 3 and learner.current_streak_days == 4


async def test_demo_learner_and_instructor_can_sign_in(client, services, database_url):
    result = await learngraph("seed-demo", database_url=database_url)
    assert result.returncode == 0, result.stderr
    data = await gql(client, 'mutation { login(input: {email: "instructor@learngraph.dev", '
                             'password: "learngraph-demo"}) { user { displayName roles } } }')
    assert data["login"]["user"] == {"displayName": "Prof. Grace Okafor",
                                     "roles": ["INSTRUCTOR"]}
    async with services.db.session() as session:
        instructor = (await session.execute(select(User).where(
            User.email == "instructor@learngraph.dev"))).scalar_one()
    response = await client.get("/api/v1/feature-requests/all",
                                headers=await bearer_for(services, instructor))
    assert response.status_code == 200
