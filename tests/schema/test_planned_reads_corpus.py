"""The corpus of planned reads: over a hundred documents over every plannable type, each
asked by an anonymous visitor, a learner, an instructor and an admin, answer the same
bytes (data and errors; the query budget's report aside) on the planned and the general
path; a planned answer is one SQL statement. Values the general path refuses (a missing
or malformed id, a bad cursor, a page size out of range, a field a viewer may not read)
get its own error."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy import literal, select
from strawberry import relay

from core.pagination import encode_cursor
from models.community import CourseReview
from models.course import Enrollment
from models.learning import ContentProgress, ModuleProgress
from resolvers.analytics import rate, rate_sql
from tests.fixtures import (
    ask_both,
    create_user,
    without_sign_in,
)
from tests.twosigma.catalog_helpers import (
    ContentItem,
    ContentType,
    Course,
    CourseOffering,
    Department,
    Module,
    Subject,
    University,
    add,
    add_many,
    headers_for,
    user_with_headers,
)

UNIVERSITY = "id name shortName country websiteUrl description createdAt __typename"
DEPARTMENT = "id name code description"
SUBJECT = "id name description"
CONTENT_TYPE = "id name label description requiredFields promptName"
COURSE = "id title code description level creditHours isPublished cacheEnabled llmModel"
MODULE = "id title description moduleType sequenceIndex"
ITEM = "id title description dataJson sequenceIndex estimatedDurationSeconds"
PROGRESS = "progress { progressPercent startedAt completedAt }"
ITEM_PROGRESS = "progress { progressPercent timeSpentSeconds startedAt completedAt }"
OFFERING = "id termName startsAt endsAt enrollmentStart enrollmentEnd visibility"
STATS = ("stats { offeringsCount totalEnrollments activeEnrollments completedEnrollments "
         "droppedEnrollments withdrawnEnrollments pendingEnrollments modulesCount "
         "contentItemsCount averageRating reviewCount completionRate }")
PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"


def node(fragment: str) -> str:
    return "query($id: ID!) { node(id: $id) { __typename " + fragment + " } }"


def on(type_name: str, body: str) -> str:
    return f"... on {type_name} {{ {body} }}"


ANY = " ".join([on("University", UNIVERSITY), on("Department", DEPARTMENT),
                on("Subject", SUBJECT), on("ContentType", CONTENT_TYPE), on("Course", COURSE),
                on("Module", MODULE), on("ContentItem", ITEM)])
IDS = ["university", "department", "subject", "type", "published", "draft", "module", "item",
       "child", "draft_module", "draft_item", "missing", "malformed", "offering", "unknown"]

CORPUS: list[tuple[str, dict]] = []


def case(query: str, variables: dict | None = None) -> None:
    CORPUS.append((query, variables or {}))


# node by every kind of id, with one fragment per type
for which in IDS:
    case(node(ANY), {"id": which})
# each type's own relations
case(node(on("University", f"{UNIVERSITY} departments(first: 5) {{ {PAGE_INFO} edges {{ "
                           f"cursor node {{ {DEPARTMENT} university {{ name }} }} }} }}")),
     {"id": "university"})
case(node(on("University", "departments(first: 1) { pageInfo { hasNextPage endCursor } "
                           "edges { node { name } } }")), {"id": "university"})
case("query($id: ID!, $a: String) { node(id: $id) { ... on University { departments(first: 1,"
     " after: $a) { pageInfo { hasPreviousPage hasNextPage } edges { node { name } } } } } }",
     {"id": "university", "a": "department_cursor"})
case(node(on("Department", f"{DEPARTMENT} university {{ {UNIVERSITY} }}")), {"id": "department"})
case(node(on("Course", f"{COURSE} university {{ name }} department {{ name code }} "
                       f"primarySubject {{ name }}")), {"id": "published"})
case(node(on("Course", "university { name } department { name } primarySubject { name }")),
     {"id": "draft"})
case(node(on("Course", f"offerings(first: 10) {{ {PAGE_INFO} edges {{ cursor node {{ "
                       f"{OFFERING} }} }} }}")), {"id": "published"})
case(node(on("Course", "offerings(first: 1) { pageInfo { hasNextPage } edges { node { "
                       "termName } } }")), {"id": "published"})
case(node(on("Course", STATS)), {"id": "published"})
case(node(on("Course", "title stats { modulesCount }")), {"id": "draft"})
case(node(on("Course", "stats { offeringsCount reviewCount }")), {"id": "missing"})
case(node(on("Course", "stats { averageRating completionRate }")), {"id": "published"})
case(node(on("Course", "stats { averageRating completionRate totalEnrollments }")),
     {"id": "draft"})
case(node(on("Course", f"offerings(first: 5) {{ edges {{ node {{ termName course {{ {COURSE} "
                       f"{STATS} }} }} }} }}")), {"id": "published"})
case("{ courses(first: 5) { edges { node { title offerings(first: 3) { edges { node { course "
     "{ id stats { completionRate } } } } } } } } }")
case(node(on("Module", f"{MODULE} {PROGRESS} course {{ title }} parent {{ title }}")),
     {"id": "module"})
case(node(on("Module", f"{MODULE} parent {{ {MODULE} parent {{ id }} }}")), {"id": "child"})
case(node(on("Module", f"children {{ {MODULE} {PROGRESS} content {{ {ITEM} }} }}")),
     {"id": "module"})
case(node(on("Module", f"content {{ {ITEM} {ITEM_PROGRESS} contentType {{ {CONTENT_TYPE} }}"
                       " }")), {"id": "module"})
case(node(on("ContentItem", f"{ITEM} {ITEM_PROGRESS} contentType {{ name }} module {{ title "
                            "course { title } }")), {"id": "item"})
case(node(on("ContentItem", "contentType { __typename id label } module { __typename }")),
     {"id": "draft_item"})
case(node(on("ContentType", CONTENT_TYPE)), {"id": "type"})
# every field alone, on its own kind of id
for type_name, fields, which in (("University", UNIVERSITY, "university"),
                                 ("Department", DEPARTMENT, "department"),
                                 ("Subject", SUBJECT, "subject"),
                                 ("ContentType", CONTENT_TYPE, "type"),
                                 ("Course", COURSE + " createdAt", "published"),
                                 ("Module", MODULE, "child"), ("ContentItem", ITEM, "item")):
    for name in fields.split():
        case(node(on(type_name, name)), {"id": which})
case(node(on("Module", "progress { progressPercent }")), {"id": "draft_module"})
# the course tree a page shows (as bench/course_tree.py asks it)
LEVEL = "id title progress { progressPercent } content { id title contentType { name } " \
        "progress { progressPercent } } "
TREE = ("query($id: ID!) { node(id: $id) { ... on Course { title stats { modulesCount } "
        "modules(first: 10) { edges { node { " + LEVEL + "children { " + LEVEL
        + "children { " + LEVEL + "} } } } } } } }")
for which in ("published", "draft", "missing"):
    case(TREE, {"id": which})
# the root lists, every field, pages forward and back
for root, body in (("universities", UNIVERSITY), ("subjects", SUBJECT),
                   ("contentTypes", CONTENT_TYPE), ("courses", COURSE)):
    case(f"{{ {root}(first: 10) {{ {PAGE_INFO} edges {{ cursor node {{ {body} }} }} }} }}")
    case(f"{{ {root}(first: 1) {{ pageInfo {{ hasNextPage endCursor }} edges {{ node {{ id }} }}"
         " } }")
    case(f"query($n: Int, $a: String) {{ {root}(first: $n, after: $a) {{ {PAGE_INFO} edges {{ "
         "node { __typename } } } }", {"n": 2, "a": "cursor:1"})
    case(f"query($n: Int) {{ {root}(first: $n) {{ edges {{ node {{ id }} }} }} }}", {"n": 0})
    case(f"query($n: Int) {{ {root}(first: $n) {{ edges {{ node {{ id }} }} }} }}", {"n": 101})
    case(f"query($a: String) {{ {root}(first: 2, after: $a) {{ edges {{ node {{ id }} }} }} }}",
         {"a": "not a cursor"})
    case(f"query($a: String) {{ {root}(first: 2, after: $a) {{ edges {{ node {{ id }} }} }} }}",
         {"a": "cursor:x"})
    case(f"{{ {root} {{ edges {{ node {{ id }} }} }} }}")
# totalCount: every row listed whatever the page, the viewer's rules applied, an empty list 0
for root in ("universities", "subjects", "contentTypes", "courses"):
    case(f"query($a: String) {{ {root}(first: 1, after: $a) {{ totalCount nodes {{ id }} }} }}",
         {"a": "cursor:1"})
case("{ universities(first: 5) { totalCount edges { node { name departments(first: 1) { "
     "totalCount pageInfo { hasNextPage } } } } } }")
case(node(on("Course", "offerings(first: 1) { totalCount nodes { termName } }")),
     {"id": "published"})
case(node(on("Course", "modules(first: 1) { n: totalCount totalCount edges { node { title } } "
                       "}")), {"id": "draft"})
case("{ courses(first: 2) { totalCount nodes { title modules(first: 1) { totalCount } "
     "offerings(first: 1) { totalCount } } } }")
case(f"{{ universities(first: 5) {{ edges {{ node {{ name departments(first: 5) {{ edges {{ "
     f"node {{ {DEPARTMENT} university {{ shortName }} }} }} }} }} }} }} }}")
case(f"{{ courses(first: 5) {{ edges {{ node {{ title {STATS} offerings(first: 2) {{ edges {{ "
     "node { termName visibility } } } } } } }")
case("{ courses(first: 5) { edges { node { title university { name } primarySubject { name } "
     "modules(first: 2) { edges { node { title progress { progressPercent } } } } } } } }")
case("{ contentTypes(first: 3) { edges { node { name requiredFields } } } "
     "subjects(first: 3) { edges { node { name } } } }")
# nodes: lists of ids of any kind
for ids in (["published", "module", "item"], ["university", "missing", "subject", "type"],
            ["draft", "draft_module"], [], ["published", "malformed"], ["offering"],
            ["published", "published", "child"]):
    case(f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ __typename id {ANY} }} }}", {"ids": ids})
case("query($ids: [ID!]!) { a: nodes(ids: $ids) { id } b: node(id: \"bm90\") { id } "
     "c: __typename }", {"ids": ["published"]})
# aliases, fragments, __typename everywhere
case("query($id: ID!) { a: node(id: $id) { ...C } b: node(id: $id) { ... on Course { t: title "
     "} } } fragment C on Course { x: id y: title ...D modules(first: 2) { __typename e: edges"
     " { __typename c: cursor n: node { __typename ...M } } p: pageInfo { __typename "
     "hasNextPage } } } fragment D on Node { id } fragment M on Module { t: title "
     "k: children { t: title c: content { t: title ty: contentType { n: name } } } }",
     {"id": "published"})
case("query($id: ID!) { node(id: $id) { ... on Node { id } ... on Course { ... on Course { "
     "title } } } }", {"id": "published"})
case("{ __typename a: __typename courses(first: 1) { __typename } }")
# @include and @skip, literal and variable
DIRECTIVES = ("query($id: ID!, $yes: Boolean!, $no: Boolean = false) { node(id: $id) { ... on "
              "Course { title @include(if: $yes) code @skip(if: $yes) description @include(if:"
              " $no) level @skip(if: true) modules(first: 2) @include(if: $yes) { edges { node"
              " { title ...M @skip(if: $no) } } } ... @include(if: $no) { creditHours } } } } "
              "fragment M on Module { sequenceIndex children @include(if: true) { title } }")
for yes, no in ((True, False), (False, False), (True, True), (False, True)):
    case(DIRECTIVES, {"id": "published", "yes": yes, "no": no})
case("query($id: ID!, $s: Boolean!) { node(id: $id) @skip(if: $s) { id } x: __typename "
     "@include(if: $s) }", {"id": "published", "s": True})
case("query($id: ID!, $s: Boolean!) { node(id: $id) @skip(if: $s) { id } x: __typename "
     "@include(if: $s) }", {"id": "published", "s": False})
# bad values the general path answers
case(node(on("Course", "modules(first: 0) { edges { node { id } } }")), {"id": "published"})
case(node(on("Course", "modules(first: 101) { edges { node { id } } }")), {"id": "published"})
case(node(on("Course", "modules(first: 2, after: \"x\") { edges { node { id } } }")),
     {"id": "published"})
case(node(on("Course", "offerings { edges { node { id } } }")), {"id": "published"})
case(node("id"), {"id": "long"})
case("query($id: ID!) { node(id: $id) { id } }", {"id": 7})
# default values and operation names
case("query Named($id: ID! = \"x\", $n: Int = 3) { courses(first: $n) { edges { node { id } } }"
     " node(id: $id) { id } }")
case("query($n: Int = 2) { universities(first: $n) { edges { node { name } } } }")
case("query($n: Int = 2) { universities(first: $n) { edges { node { name } } } }", {"n": 1})


async def seed(services, learner) -> dict:
    """Reference data, two courses with trees (one a draft), offerings of every
    visibility, and the learner's progress."""
    ids: dict = {}
    harvard = await add(services, University, name="Harvard", short_name="HU",
                        country="US", website_url="https://harvard.example", description="old")
    await add(services, University, name="Second", description="")
    await add(services, University, name="Third", description="t")
    cs = await add(services, Department, university_id=harvard.id, name="Computer Science",
                   code="CS", description="")
    await add(services, Department, university_id=harvard.id, name="Physics", description="p")
    subject = await add(services, Subject, name="Algorithms", description="graphs")
    await add(services, Subject, name="Poetry", description="")
    video = await add(services, ContentType, name="video", label="Video",
                      required_fields=["url", "length"], prompt_name="tutor")
    quiz = await add(services, ContentType, name="quiz", label="Quiz", description="q")
    for name, published in (("published", True), ("draft", False)):
        refs = ({"university_id": harvard.id, "department_id": cs.id,
                 "primary_subject_id": subject.id} if published else {})
        course = await add(services, Course, title=f"{name} course", code=name[:4],
                           is_published=published, **refs)
        roots = await add_many(services, Module, [
            {"course_id": course.id, "title": f"{name} root {i}", "sequence_index": i}
            for i in range(3)])
        children = await add_many(services, Module, [
            {"course_id": course.id, "parent_module_id": r, "title": f"child {r}-{i}",
             "sequence_index": 2 - i} for r in roots for i in range(2)])
        items = await add_many(services, ContentItem, [
            {"module_id": m, "course_id": course.id, "data_json": {"url": f"v{m}", "n": i}
             if i else {}, "content_type_id": (video if i else quiz).id, "title": f"item {m}-{i}",
             "sequence_index": i, "estimated_duration_seconds": 60 * i or None}
            for m in roots + children for i in range(2)])
        ids[name] = relay.to_base64("Course", course.id)
        key = "" if published else "draft_"
        ids[key + "module"] = relay.to_base64("Module", roots[0])
        ids[key + "item"] = relay.to_base64("ContentItem", items[0])
        if published:
            ids["child"] = relay.to_base64("Module", children[0])
            offerings = await add_many(services, CourseOffering, [
                {"course_id": course.id, "term_name": f"Term {v}", "visibility": v,
                 "starts_at": datetime(2026, 1, 5, 9, tzinfo=UTC),
                 "ends_at": datetime(2026, 5, 1, 9, 30, 15, 120, tzinfo=UTC)}
                for v in ("PUBLIC", "UNLISTED", "PRIVATE", "PUBLIC")])
            ids["offering"] = relay.to_base64("CourseOffering", offerings[0])
            await add_many(services, ModuleProgress, [
                {"user_id": learner.id, "module_id": roots[0], "course_offering_id": o,
                 "progress_percent": p, "completed_at": datetime(2026, 2, 1, tzinfo=UTC)
                 if p == 100 else None} for o, p in ((offerings[0], 40), (offerings[1], 100))])
            await add_many(services, ModuleProgress, [
                {"user_id": learner.id, "module_id": children[0],
                 "course_offering_id": offerings[0], "progress_percent": 10}])
            await add_many(services, ContentProgress, [
                {"user_id": learner.id, "content_item_id": i, "course_offering_id": offerings[0],
                 "progress_percent": 50, "time_spent_seconds": 30} for i in items[:3]])
            others = [await create_user(services, email=f"other{n}@example.com")
                      for n in range(2)]
            await add_many(services, CourseReview, [
                {"course_id": course.id, "user_id": u.id, "rating": r}
                for u, r in ((learner, 4), (others[0], 5), (others[1], 5))])
            await add_many(services, Enrollment, [
                {"user_id": learner.id, "course_offering_id": offerings[0]},
                {"user_id": learner.id, "course_offering_id": offerings[1],
                 "status": "COMPLETED"},
                {"user_id": others[0].id, "course_offering_id": offerings[0],
                 "status": "DROPPED"}])
    for n in range(3):
        await add(services, Course, title=f"extra {n}", code=f"X{n}", is_published=n != 1)
    ids.update(university=relay.to_base64("University", harvard.id),
               department=relay.to_base64("Department", cs.id),
               subject=relay.to_base64("Subject", subject.id),
               type=relay.to_base64("ContentType", video.id),
               missing=relay.to_base64("Course", 10 ** 9), malformed="bm90IGFuIGlk",
               department_cursor=encode_cursor([cs.id]),
               unknown=relay.to_base64("Nothing", 1), long="Q291cnNlOj" + "A" * 2000)
    return ids


def resolve(value, ids: dict):
    if isinstance(value, dict):
        return {k: resolve(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, ids) for v in value]
    if isinstance(value, str) and value in ids:
        return ids[value]
    if isinstance(value, str) and value.startswith("cursor:"):
        raw = value.removeprefix("cursor:")
        return encode_cursor([int(raw)]) if raw.isdigit() else encode_cursor([raw])
    return value


def test_the_corpus_holds_over_a_hundred_documents():
    assert len(CORPUS) >= 100
    assert len({query for query, _ in CORPUS}) >= 100


async def test_the_corpus_answers_the_same_bytes_on_both_paths(server, general, clean_db,
                                                               services):
    learner, learner_headers = await user_with_headers(services, "learner@example.com")
    ids = await seed(services, learner)
    viewers = {"anonymous": {}, "learner": learner_headers,
               "instructor": await headers_for(services, "teacher@example.com",
                                               ["INSTRUCTOR"]),
               "admin": await headers_for(services, "admin@example.com", ["PLATFORM_ADMIN"])}
    planned_count = answered = 0
    mismatches = []
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as planned, \
            httpx.AsyncClient(base_url=general.base_url, timeout=30) as plain:
        for query, variables in CORPUS:
            body = {"query": query, "variables": resolve(variables, ids)}
            for viewer, headers in viewers.items():
                both = await ask_both(planned, plain, server, services, body, headers)
                statements = both.statements
                answered += 1
                if both.mismatch:
                    mismatches.append((viewer, query, variables, *both.mismatch))
                if any("json_build_object" in s for s in statements):
                    planned_count += 1
                    # One statement reads; a token costs its credential check besides.
                    reads = without_sign_in(statements)
                    assert len(reads) == 1, (viewer, query)
                    assert len(statements) == 1 + bool(headers), (viewer, query)
    assert mismatches == []
    # Most answers come from plans; the rest are the general path's refusals.
    assert answered == 4 * len(CORPUS)
    assert planned_count >= answered * 6 // 10, planned_count


async def test_a_rate_rounds_alike_in_python_and_postgresql(services):
    """The completion rate a plan computes in SQL and the one ``get_stats`` computes are
    the same number, halves (one in 800 is 0.125 %) included."""
    cases = [(0, 0), (1, 3), (2, 3), (1, 8), (1, 800), (3, 800), (5, 8000), (7, 7), (0, 9),
             (29, 20000), (1, 6)]
    async with services.db.session() as session:
        for part, whole in cases:
            found = (await session.execute(select(rate_sql(literal(part), literal(whole))))
                     ).scalar_one()
            assert float(found) == rate(part, whole), (part, whole, found)
    assert rate(1, 800) == 0.13 and rate(1, 3) == 33.33 and rate(0, 0) == 0.0
