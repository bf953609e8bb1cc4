"""Every request example the contracts write, copied as written, with the status each
documents (where a contract names none: 200, or 201 for a create as the face documents).

A contract's elisions (``"summary": "..."``, ``"gaps": [...]``, ``"sk-ant-..."``) are kept
where they are valid JSON and filled from the same contract's own examples where they are
not. ``given`` names what must exist first: earlier examples (by title) or plain setup
requests ``(method, path, body)``. ``who`` is the signed-in caller: ``admin`` (a platform
admin), ``learner`` (the demo learner, enrolled in offering 1) or ``anonymous``. A face
added later appends its table to ``EXAMPLES``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Example:
    face: str
    title: str
    method: str
    path: str
    body: Any = None
    status: int = 200
    who: str = "admin"
    given: tuple[Any, ...] = ()
    # Replies the model gives, in order: ("text", str) or ("tool", name, input).
    llm: tuple[tuple, ...] = ()
    # The caller has an Anthropic key stored.
    key: bool = False
    # Run on the demo catalog; False: on an empty database (ids start at 1 for ``given``).
    demo: bool = True
    headers: dict[str, str] = field(default_factory=dict)


# --- OpenLearning (base /api) -------------------------------------------------------------

_START = {"skillIds": ["nodejs", "rest-api", "sql"], "targetLevel": "mid",
          "roleId": "backend_engineering", "thoroughness": "standard"}
_GAP = {"skillId": "microservices", "skillName": "Microservices", "currentLevel": 45,
        "targetLevel": 80, "gap": 35, "priority": "critical",
        "recommendation": "Focus on service decomposition and inter-service communication "
                          "patterns."}

OPENLEARNING = [
    Example("openlearning", "Register", "POST", "/api/auth/register",
            {"email": "user@example.com", "password": "securepassword"}, who="anonymous"),
    Example("openlearning", "Login", "POST", "/api/auth/login",
            {"email": "user@example.com", "password": "securepassword"}, who="anonymous",
            given=("Register",)),
    Example("openlearning", "Store API key", "POST", "/api/auth/api-key",
            {"apiKey": "sk-ant-..."}, who="learner"),
    Example("openlearning", "Validate API key", "POST", "/api/auth/validate-key",
            {"apiKey": "sk-ant-..."}, who="learner"),
    Example("openlearning", "Start assessment", "POST", "/api/assessment/start", _START,
            who="learner", key=True, llm=(
                ("text", "Can you explain what HTTP status codes are and give some examples?"),)),
    Example("openlearning", "Respond", "POST", "/api/assessment/{session_id}/respond",
            {"response": "HTTP is a stateless protocol that uses request-response pairs..."},
            who="learner", key=True, given=("Start assessment",), llm=(
                ("tool", "record_evaluation", {"score": 0.7, "bloom_level": "understand",
                                               "reasoning": "Names the idea."}),
                ("text", "What does a 404 tell the client?"))),
    Example("openlearning", "Gap analysis", "POST", "/api/gap-analysis",
            {"proficiencyScores": [{
                "skillId": "nodejs", "skillName": "Node.js", "score": 65, "confidence": 0.8,
                "reasoning": "Strong fundamentals, gaps in advanced patterns"}]},
            who="learner", key=True, llm=(("tool", "record_gap_analysis", {
                "summary": "Solid foundation with gaps in distributed systems and security.",
                "skills": [{"skill_id": "nodejs", "target_level": 80,
                            "recommendation": "Practise streams."}]}),)),
    # "gaps": [...] filled with the gap of the contract's GapAnalysis example.
    Example("openlearning", "Learning plan", "POST", "/api/learning-plan",
            {"gapAnalysis": {"overallReadiness": 72, "summary": "...", "gaps": [_GAP]}},
            who="learner", key=True, llm=(("tool", "record_learning_plan", {
                "summary": "A 6-week plan targeting distributed systems and security gaps.",
                "phases": [{"phase_number": 1, "title": "Foundations",
                            "rationale": "Build foundational understanding first.",
                            "resources": [{"type": "article",
                                           "title": "Microservices Fundamentals",
                                           "url": "https://microservices.io/patterns"}]}]}),)),
]

# --- 2Sigma (base /api/v1) ----------------------------------------------------------------

_V1 = "/api/v1"
_PROMPT = {"name": "Video Tutor", "prompt": "You are a helpful tutor for {{title}}...",
           "config": {}, "labels": ["production"], "tags": ["tutor", "video"],
           "commit_message": "Initial version"}
# The preview example links a "General Protocol" prompt labelled production.
_GENERAL_PROTOCOL = ("POST", _V1 + "/prompts/", {
    "name": "General Protocol", "prompt": "Follow these rules: ...", "labels": ["production"]})


def _sigma(title: str, method: str, path: str, body: Any = None, **kwargs) -> Example:
    return Example("twosigma", title, method, _V1 + path, body, **kwargs)


TWOSIGMA = [
    _sigma("Check Email Availability", "POST", "/auth/check-email",
           {"email": "user@example.com"}, who="anonymous"),
    _sigma("Register User", "POST", "/auth/register", {
        "email": "user@example.com", "password": "SecurePass123", "full_name": "John Doe",
        "locale": "en", "time_zone": "UTC"}, who="anonymous"),
    _sigma("Register with Onboarding", "POST", "/auth/register-with-onboarding", {
        "email": "user@example.com", "password": "SecurePass123", "full_name": "John Doe",
        "profile": {"date_of_birth": "2000-01-01", "learning_goal": "CAREER_ADVANCEMENT",
                    "study_level": "UNDERGRADUATE", "grade": "SOPHOMORE"},
        "subject_preferences": [1, 2, 3]}, who="anonymous"),
    _sigma("Login", "POST", "/auth/login",
           {"email": "user@example.com", "password": "SecurePass123"}, who="anonymous",
           given=("Register User",)),
    # "Authorization: Bearer YOUR_REFRESH_TOKEN": the refresh token the login answered.
    _sigma("Refresh Token", "POST", "/auth/refresh", who="refresh", given=("Login",)),
    _sigma("Update Current User", "PUT", "/users/me", {
        "full_name": "Jane Doe", "locale": "es", "time_zone": "America/New_York"},
        who="learner"),
    _sigma("List Users", "GET", "/users/?skip=0&limit=100"),
    _sigma("List Courses", "GET", "/courses/?university_id=1&skip=0&limit=100"),
    _sigma("Create Course", "POST", "/courses/", {
        "title": "Data Structures", "code": "CS201", "description": "Study of data structures",
        "level": "INTERMEDIATE", "credit_hours": 4, "university_id": 1, "department_id": 1,
        "primary_subject_id": 1, "cache_enabled": True}, status=201),
    _sigma("Create Course Offering", "POST", "/courses/{course_id}/offerings", {
        "term_name": "Spring 2026", "starts_at": "2026-01-15T00:00:00Z",
        "ends_at": "2026-05-15T00:00:00Z", "enrollment_start": "2025-12-01T00:00:00Z",
        "enrollment_end": "2026-01-31T00:00:00Z", "visibility": "PUBLIC"}, status=201),
    _sigma("Enroll in Course", "POST", "/enrollments/", {"course_offering_id": 1},
           status=201),
    # A learner may only drop an enrollment; completing one is the staff's call.
    _sigma("Update Enrollment Status", "PUT", "/enrollments/{enrollment_id}",
           {"status": "COMPLETED"}),
    _sigma("Create Module", "POST", "/modules/", {
        "course_id": 1, "parent_module_id": None, "title": "Week 1: Introduction",
        "description": "Course introduction", "module_type": "UNIT", "sequence_index": 0},
        status=201),
    # Modules 1, 2 and 3 must be all the root modules of one course: on an empty database,
    # a course and three modules made with the examples above.
    _sigma("Reorder Modules", "POST", "/modules/reorder", {"module_ids": [3, 1, 2]},
           demo=False, given=(
               ("POST", _V1 + "/universities/", {"name": "Northbridge University"}),
               ("POST", _V1 + "/universities/1/departments", {"name": "Computer Science"}),
               ("POST", _V1 + "/subjects/", {"name": "Computer Science"}),
               "Create Course", "Create Module", "Create Module", "Create Module")),
    _sigma("Create Content", "POST", "/content/", {
        "module_id": 1, "course_id": 1, "content_type_id": 1, "title": "Lecture Video",
        "description": "First lecture", "data_json": {"video_url": "https://example.com/video.mp4"},
        "estimated_duration_seconds": 1800, "sequence_index": 0}, status=201),
    _sigma("Get My Module Progress", "GET", "/progress/modules/my-progress?course_offering_id=1",
           who="learner"),
    _sigma("Create/Update Module Progress", "POST", "/progress/modules", {
        "module_id": 1, "course_offering_id": 1, "progress_percent": 50, "completed_at": None},
        who="learner"),
    _sigma("Get My Content Progress", "GET",
           "/progress/content/my-progress?course_offering_id=1", who="learner"),
    _sigma("Create/Update Content Progress", "POST", "/progress/content", {
        "content_item_id": 1, "course_offering_id": 1, "progress_percent": 100,
        "completed_at": "2026-01-20T10:30:00Z"}, who="learner"),
    _sigma("Create Chat Session", "POST", "/chat/sessions", {"content_item_id": 1},
           who="learner", status=201),
    _sigma("Send Message (Streaming)", "POST", "/chat/sessions/{session_id}/messages",
           {"content": "Explain recursion"}, who="learner", key=True,
           given=("Create Chat Session",), llm=(("text", "Recursion is a function calling "
                                                          "itself."),)),
    _sigma("List Prompts", "GET", "/prompts/?name=tutor&label=production&tag=math&page=1"
           "&page_size=20"),
    _sigma("Get Prompt", "GET", "/prompts/{prompt_name}?label=production",
           given=("Create Prompt",)),
    _sigma("List Prompt Versions", "GET", "/prompts/{prompt_name}/versions?page=1&page_size=20",
           given=("Create Prompt",)),
    _sigma("Create Prompt", "POST", "/prompts/", _PROMPT, status=201),
    _sigma("Set Labels", "PATCH", "/prompts/{prompt_name}/versions/{version}/labels",
           {"labels": ["production", "staging"]}, given=("Create Prompt",)),
    _sigma("Update Tags", "PATCH", "/prompts/{prompt_name}/tags",
           {"tags": ["core", "protocol", "v2"]}, given=("Create Prompt",)),
    _sigma("Preview Prompt", "POST", "/prompts/preview", {
        "prompt_text": "Hello {{title}}, @@@langfusePrompt:name=General Protocol"
                       "|label=production@@@",
        "variables": {"title": "Math 101"}}, given=(_GENERAL_PROTOCOL,)),
    _sigma("Submit Feature Request", "POST", "/feature-requests/", {
        "title": "Dark mode support",
        "description": "Add a dark mode toggle to the settings page for better readability "
                       "at night."}, who="learner", status=201),
    _sigma("Update Feature Request Status", "PATCH", "/feature-requests/{feature_request_id}",
           {"status": "under_review", "admin_notes": "Discussing with the design team."},
           given=("Submit Feature Request",)),
    _sigma("Update AWS Credentials", "POST", "/admin/aws-credentials", {
        "aws_access_key_id": "AKIAIOSFODNN7EXAMPLE",
        "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "aws_session_token": "optional"}),
]

EXAMPLES = [*OPENLEARNING, *TWOSIGMA]
