"""The demo university: departments, subjects, three published courses with open
offerings, their module trees and content, an instructor, and the demo learner
enrolled in one course with some progress.

``seed_catalog`` loads it once: it does nothing when the demo university exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

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

UNIVERSITY = "Northbridge University"

# Field names as the contract's examples write them: a video is created with only
# ``video_url`` and read back with ``duration`` (seconds).
CONTENT_TYPES = (
    ("video", "Video", "A recorded lecture with a transcript summary.",
     ["video_url"], "tutor-video"),
    ("reading", "Reading", "An article or chapter to read.", ["body_markdown"], "tutor-reading"),
    ("quiz", "Quiz", "Multiple-choice questions with a passing score.",
     ["questions", "passing_score"], "tutor-quiz"),
    ("lab", "Lab", "A hands-on programming exercise with starter code.",
     ["instructions", "starter_code", "language"], "tutor-lab"),
)

DEPARTMENTS = (
    ("Computer Science", "CS", "Algorithms, systems and the theory of computation."),
    ("Mathematics", "MATH", "Pure and applied mathematics, from calculus to linear algebra."),
)

SUBJECTS = (
    ("Computer Science", "How to compute, and what can be computed."),
    ("Programming", "Writing, testing and reading code."),
    ("Mathematics", "Structures, quantities and proof."),
    ("Data Science", "Learning from data with statistics and computation."),
)


def video(title: str, description: str, minutes: int, summary: str) -> dict[str, Any]:
    slug = title.lower().replace(" ", "-").replace("?", "").replace(",", "")
    return {"type": "video", "title": title, "description": description,
            "seconds": minutes * 60,
            "data": {"video_url": f"https://media.northbridge.edu/lectures/{slug}.mp4",
                     "duration": minutes * 60, "transcript_summary": summary}}


def reading(title: str, description: str, minutes: int, body: str) -> dict[str, Any]:
    return {"type": "reading", "title": title, "description": description,
            "seconds": minutes * 60, "data": {"body_markdown": body}}


def quiz(title: str, questions: list[tuple[str, list[str], int]]) -> dict[str, Any]:
    return {"type": "quiz", "title": title, "description": "Check your understanding.",
            "seconds": 120 * len(questions),
            "data": {"passing_score": 70,
                     "questions": [{"prompt": p, "choices": c, "answer_index": a}
                                   for p, c, a in questions]}}


def lab(title: str, description: str, instructions: str, starter: str) -> dict[str, Any]:
    return {"type": "lab", "title": title, "description": description, "seconds": 45 * 60,
            "data": {"instructions": instructions, "starter_code": starter,
                     "language": "python"}}


@dataclass
class Node:
    """A module of the tree with its content items and children."""

    module_type: str
    title: str
    description: str = ""
    items: list[dict[str, Any]] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)


@dataclass
class CourseSpec:
    code: str
    title: str
    department: str
    subject: str
    level: str
    credit_hours: int
    description: str
    units: list[Node]


INTRO_CS = CourseSpec(
    code="CS 101", title="Introduction to Computer Science", department="CS",
    subject="Computer Science", level="INTRODUCTORY", credit_hours=4,
    description="How computers solve problems: abstraction, algorithms, data and programs. "
                "No programming experience required.",
    units=[
        Node("UNIT", "Computational Thinking", "Breaking problems into steps a machine can "
             "follow.", children=[
            Node("LESSON", "What Is Computation?", items=[
                video("What Is Computation?", "From recipes to Turing machines.", 14,
                      "An algorithm is a finite, precise list of steps; computers follow "
                      "them without judgment, which is why precision matters."),
                reading("Algorithms in Everyday Life", "Sorting mail, finding a word in a "
                        "dictionary, following directions.", 10,
                        "# Algorithms in everyday life\n\nEvery time you look up a word in "
                        "a dictionary you run a *binary search*: open in the middle, decide "
                        "which half holds the word, repeat."),
            ]),
            Node("TOPIC", "Abstraction and Decomposition", items=[
                reading("Abstraction", "Hiding detail to manage complexity.", 8,
                        "# Abstraction\n\nA map is useful because it leaves things out. "
                        "Programs are built from layers of such useful omissions."),
            ]),
            Node("QUIZ", "Computational Thinking Check", items=[
                quiz("Computational Thinking Check", [
                    ("Which property must every algorithm have?",
                     ["It is written in Python", "It finishes after finitely many steps",
                      "It uses recursion", "It runs on a computer"], 1),
                    ("Looking up a word by opening a dictionary in the middle is an example of",
                     ["linear search", "binary search", "hashing", "sorting"], 1),
                ]),
            ]),
        ]),
        Node("UNIT", "Programming Fundamentals", "Variables, control flow and functions in "
             "Python.", children=[
            Node("LESSON", "Variables and Expressions", items=[
                video("Variables and Expressions", "Names, values and types.", 12,
                      "A variable is a name bound to a value; expressions combine values "
                      "with operators to produce new ones."),
            ]),
            Node("LESSON", "Control Flow", items=[
                video("Making Decisions with if", "Branching on conditions.", 11,
                      "Conditions evaluate to True or False and choose which block runs."),
                reading("Loops", "Repeating work with for and while.", 9,
                        "# Loops\n\n`for` walks over a collection; `while` repeats as long "
                        "as a condition holds. Always make sure the loop can end."),
            ]),
            Node("LAB", "Lab: FizzBuzz and Friends", items=[
                lab("FizzBuzz and Friends", "Practice loops and conditionals.",
                    "Write `fizzbuzz(n)` returning the list of strings for 1..n: 'Fizz' "
                    "for multiples of 3, 'Buzz' for multiples of 5, 'FizzBuzz' for both, "
                    "otherwise the number.",
                    "def fizzbuzz(n: int) -> list[str]:\n    result = []\n    # your code "
                    "here\n    return result\n"),
            ]),
        ]),
    ])

LINEAR_ALGEBRA = CourseSpec(
    code="MATH 221", title="Linear Algebra", department="MATH", subject="Mathematics",
    level="INTERMEDIATE", credit_hours=3,
    description="Vectors, matrices, linear maps, eigenvalues and their applications to "
                "data and geometry.",
    units=[
        Node("UNIT", "Vectors and Spaces", children=[
            Node("LESSON", "Vectors", items=[
                video("Vectors in the Plane", "Arrows, coordinates and addition.", 15,
                      "A vector has magnitude and direction; in coordinates we add vectors "
                      "component by component."),
                reading("The Dot Product", "Length, angle and projection.", 12,
                        "# The dot product\n\n$u \\cdot v = |u||v|\\cos\\theta$, so two "
                        "vectors are orthogonal exactly when their dot product is zero."),
            ]),
            Node("TOPIC", "Span and Linear Independence", items=[
                reading("Span and Independence", "When are vectors redundant?", 14,
                        "# Span\n\nThe span of a set of vectors is every linear combination "
                        "of them. A set is independent when no vector lies in the span of "
                        "the others."),
            ]),
            Node("QUIZ", "Vectors Quiz", items=[
                quiz("Vectors Quiz", [
                    ("What is (1, 2) · (3, 4)?", ["7", "10", "11", "14"], 2),
                    ("Two non-zero vectors are orthogonal when their dot product is",
                     ["1", "0", "negative", "undefined"], 1),
                ]),
            ]),
        ]),
        Node("UNIT", "Matrices and Linear Maps", children=[
            Node("LESSON", "Matrix Multiplication", items=[
                video("Matrices as Linear Maps", "Why rows times columns.", 18,
                      "Multiplying matrices composes the linear maps they represent, which "
                      "is why the product is not commutative."),
            ]),
            Node("LAB", "Lab: Gaussian Elimination", items=[
                lab("Gaussian Elimination", "Solve linear systems in code.",
                    "Implement `solve(A, b)` with Gaussian elimination and partial "
                    "pivoting; compare with numpy.linalg.solve.",
                    "def solve(A: list[list[float]], b: list[float]) -> list[float]:\n"
                    "    # your code here\n    raise NotImplementedError\n"),
            ]),
        ]),
    ])

DATA_STRUCTURES = CourseSpec(
    code="CS 225", title="Data Structures", department="CS", subject="Programming",
    level="INTERMEDIATE", credit_hours=4,
    description="Arrays, linked lists, stacks, queues, trees, hash tables and graphs, with "
                "the analysis to choose between them.",
    units=[
        Node("UNIT", "Linear Structures", children=[
            Node("LESSON", "Arrays and Linked Lists", items=[
                video("Arrays vs Linked Lists", "Contiguous memory versus pointers.", 16,
                      "Arrays give O(1) indexing but costly inserts; linked lists give O(1) "
                      "inserts at a known node but O(n) indexing."),
            ]),
            Node("TOPIC", "Stacks and Queues", items=[
                reading("Stacks and Queues", "LIFO and FIFO in practice.", 10,
                        "# Stacks and queues\n\nA stack undoes (last in, first out); a queue "
                        "waits its turn (first in, first out). Breadth-first search uses a "
                        "queue, depth-first search a stack."),
            ]),
        ]),
        Node("UNIT", "Trees and Hashing", children=[
            Node("LESSON", "Binary Search Trees", items=[
                video("Binary Search Trees", "Ordered lookups in O(log n) when balanced.",
                      17, "Each node's left subtree holds smaller keys and its right subtree "
                      "larger ones; balance keeps the height logarithmic."),
            ]),
            Node("QUIZ", "Trees and Hashing Quiz", items=[
                quiz("Trees and Hashing Quiz", [
                    ("Average lookup time in a hash table with a good hash function is",
                     ["O(1)", "O(log n)", "O(n)", "O(n log n)"], 0),
                    ("An in-order walk of a binary search tree visits keys in",
                     ["insertion order", "sorted order", "reverse order", "random order"], 1),
                ]),
            ]),
            Node("LAB", "Lab: Build a Hash Map", items=[
                lab("Build a Hash Map", "Separate chaining from scratch.",
                    "Implement a `HashMap` class with `put`, `get` and `remove` using "
                    "separate chaining; grow the table when the load factor passes 0.75.",
                    "class HashMap:\n    def __init__(self) -> None:\n        self.buckets "
                    "= [[] for _ in range(8)]\n"),
            ]),
        ]),
    ])

COURSES = (INTRO_CS, LINEAR_ALGEBRA, DATA_STRUCTURES)
# How many content items of the demo learner's course (in order) are done / under way.
DEMO_DONE, DEMO_STARTED = 3, 1


async def lock_demo(session: AsyncSession) -> None:
    """Serialize demo seeding across processes until the transaction ends."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('learngraph-demo'))"))


async def _get_or_add(session: AsyncSession, model, where, **values):
    found = (await session.execute(select(model).where(where))).scalar_one_or_none()
    if found is None:
        found = model(**values)
        session.add(found)
        await session.flush()
    return found


async def _add_tree(session: AsyncSession, course: Course, parent: Module, nodes: list[Node],
                    types: dict[str, ContentType], items: list[tuple[Module, ContentItem]]) -> None:
    for index, node in enumerate(nodes):
        module = Module(course_id=course.id, parent_module_id=parent.id, title=node.title,
                        description=node.description, module_type=node.module_type,
                        sequence_index=index)
        session.add(module)
        await session.flush()
        for position, spec in enumerate(node.items):
            item = ContentItem(module_id=module.id, course_id=course.id,
                               content_type_id=types[spec["type"]].id, title=spec["title"],
                               description=spec["description"], data_json=spec["data"],
                               sequence_index=position,
                               estimated_duration_seconds=spec["seconds"])
            session.add(item)
            items.append((module, item))
        await _add_tree(session, course, module, node.children, types, items)


async def seed_catalog(session: AsyncSession, *, learner: User, instructor: User) -> bool:
    """Load the demo university once; True when it was created now.

    Run it inside ``lock_demo``'s transaction so that two servers starting
    together do not both load it.
    """
    if (await session.execute(select(University.id).where(
            University.name == UNIVERSITY))).scalar_one_or_none() is not None:
        return False
    now = datetime.now(UTC)
    university = University(
        name=UNIVERSITY, short_name="NBU", country="United States",
        website_url="https://www.northbridge.edu",
        description="A mid-sized research university known for its open online courses.")
    session.add(university)
    await session.flush()
    departments = {}
    for name, code, description in DEPARTMENTS:
        departments[code] = Department(university_id=university.id, name=name, code=code,
                                       description=description)
        session.add(departments[code])
    subjects = {name: await _get_or_add(session, Subject, Subject.name == name, name=name,
                                        description=description)
                for name, description in SUBJECTS}
    types = {name: await _get_or_add(session, ContentType, ContentType.name == name, name=name,
                                     label=label, description=description,
                                     required_fields=required, prompt_name=prompt)
             for name, label, description, required, prompt in CONTENT_TYPES}
    await session.flush()

    first: tuple[Course, CourseOffering, list[tuple[Module, ContentItem]], Module] | None = None
    for spec in COURSES:
        course = Course(title=spec.title, code=spec.code, description=spec.description,
                        level=spec.level, credit_hours=spec.credit_hours, is_published=True,
                        university_id=university.id,
                        department_id=departments[spec.department].id,
                        primary_subject_id=subjects[spec.subject].id,
                        created_by_id=instructor.id)
        session.add(course)
        await session.flush()
        offering = CourseOffering(
            course_id=course.id, term_name="Open Enrollment", visibility="PUBLIC",
            starts_at=now - timedelta(days=14), ends_at=now + timedelta(days=120),
            enrollment_start=now - timedelta(days=30), enrollment_end=now + timedelta(days=90))
        root = Module(course_id=course.id, title=spec.title, module_type="COURSE_ROOT",
                      description=spec.description)
        session.add_all([offering, root])
        await session.flush()
        items: list[tuple[Module, ContentItem]] = []
        await _add_tree(session, course, root, spec.units, types, items)
        await session.flush()
        if first is None:
            first = (course, offering, items, root)

    course, offering, items, root = first
    await _add_learner_progress(session, learner=learner, course=course, offering=offering,
                                items=items, root=root, now=now)
    return True


async def _add_learner_progress(session: AsyncSession, *, learner: User, course: Course,
                                offering: CourseOffering,
                                items: list[tuple[Module, ContentItem]], root: Module,
                                now: datetime) -> None:
    """Enroll the demo learner in the first course, a few days in."""
    session.add(Enrollment(user_id=learner.id, course_offering_id=offering.id,
                           status="ACTIVE", enrolled_at=now - timedelta(days=DEMO_DONE + 1)))
    for index, (module, item) in enumerate(items[:DEMO_DONE + DEMO_STARTED]):
        done = index < DEMO_DONE
        day = now - timedelta(days=DEMO_DONE - index)
        session.add(ContentProgress(
            user_id=learner.id, content_item_id=item.id, course_offering_id=offering.id,
            progress_percent=100 if done else 40,
            time_spent_seconds=item.estimated_duration_seconds if done else 240,
            started_at=day, completed_at=day + timedelta(minutes=20) if done else None))
        session.add(LearningActivity(user_id=learner.id, kind="CONTENT_PROGRESS",
                                     course_id=course.id, module_id=module.id,
                                     content_item_id=item.id, occurred_at=day,
                                     local_date=day.date(),
                                     summary=f"{'Completed' if done else 'Started'} "
                                             f"{item.title}"))
    total = len(items)
    session.add(ModuleProgress(user_id=learner.id, module_id=root.id,
                               course_offering_id=offering.id,
                               progress_percent=DEMO_DONE * 100 // total,
                               started_at=now - timedelta(days=DEMO_DONE)))
    learner.current_streak_days = DEMO_DONE + DEMO_STARTED
    learner.last_activity_date = now.date()
