"""SQLAlchemy models; importing this package registers every table on Base.metadata."""

from models.assessment import AssessmentMaterial, AssessmentResult, AssessmentSession
from models.base import Base
from models.billing import BillingSubscription, EntitlementGrant, StripeEvent
from models.chat import ChatMessage, ChatSession
from models.chat_cache import ChatCacheNode
from models.codelab import (
    Codelab,
    CodelabAttendee,
    CodelabFacilitator,
    CodelabFeedback,
    CodelabHelpRequest,
    CodelabQuiz,
    CodelabQuizSubmission,
)
from models.codelab_files import (
    CodelabAiConversation,
    CodelabAiSettings,
    CodelabMaterial,
    CodelabSubmission,
    CodelabWorkspace,
)
from models.codelab_live import (
    CodelabAuditLog,
    CodelabChatMessage,
    CodelabComment,
    CodelabCommentThread,
)
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
    Department,
    Enrollment,
    Module,
    Subject,
    University,
    UserProfile,
    UserSubjectPreference,
)
from models.curriculum import CurriculumOutput, LessonBook, Objective, Orchestration
from models.evidence import Evidence
from models.feedback import FeatureRequest
from models.ghl import GhlLink
from models.infra import IdempotencyKey, PubSubMessage, RateLimitHits
from models.jobs import Job
from models.learning import (
    ContentProgress,
    LabSubmission,
    LearningActivity,
    ModuleProgress,
    QuizAttempt,
)
from models.llm_usage import LlmBudget, LlmBudgetHold, LlmUsage
from models.organization import (
    Organization,
    OrganizationGuest,
    OrganizationMember,
    Subscription,
)
from models.prompts import PlatformSecret, Prompt, PromptDependency, PromptLabelEvent
from models.reading import (
    Adaptation,
    Book,
    BookPage,
    Learner,
    LevelChange,
    LeveledPage,
    QuizResult,
    ReadingAssessment,
    ReadingEvent,
    ReadingSession,
    SessionWord,
)
from models.roster import ParentClaim, SchoolClass, Student, TeacherNotification
from models.school import School, SchoolStaff
from models.user import (
    AccountToken,
    ApiKey,
    AuthSession,
    ChildCredential,
    RefreshToken,
    User,
    UserSecret,
)
from models.workspace import Workspace, WorkspaceBlock, WorkspaceFile

__all__ = [
    "AccountToken",
    "Adaptation",
    "ApiKey",
    "AssessmentMaterial",
    "AssessmentResult",
    "AssessmentSession",
    "AuthSession",
    "Base",
    "BillingSubscription",
    "Book",
    "BookPage",
    "ChatCacheNode",
    "ChatMessage",
    "ChatSession",
    "ChildCredential",
    "Codelab",
    "CodelabAiConversation",
    "CodelabAiSettings",
    "CodelabAttendee",
    "CodelabAuditLog",
    "CodelabChatMessage",
    "CodelabComment",
    "CodelabCommentThread",
    "CodelabFacilitator",
    "CodelabFeedback",
    "CodelabHelpRequest",
    "CodelabMaterial",
    "CodelabQuiz",
    "CodelabQuizSubmission",
    "CodelabSubmission",
    "CodelabWorkspace",
    "ContentItem",
    "ContentProgress",
    "ContentType",
    "Course",
    "CourseOffering",
    "CourseReview",
    "CurriculumOutput",
    "Department",
    "DiscussionPost",
    "DiscussionThread",
    "Enrollment",
    "EntitlementGrant",
    "Evidence",
    "FeatureRequest",
    "Flashcard",
    "FlashcardReview",
    "GhlLink",
    "IdempotencyKey",
    "Job",
    "LabSubmission",
    "Learner",
    "LearningActivity",
    "LessonBook",
    "LevelChange",
    "LeveledPage",
    "LlmBudget",
    "LlmBudgetHold",
    "LlmUsage",
    "Module",
    "ModuleProgress",
    "Note",
    "Objective",
    "Orchestration",
    "Organization",
    "OrganizationGuest",
    "OrganizationMember",
    "ParentClaim",
    "PlatformSecret",
    "Prompt",
    "PromptDependency",
    "PromptLabelEvent",
    "PubSubMessage",
    "QuizAttempt",
    "QuizResult",
    "RateLimitHits",
    "ReadingAssessment",
    "ReadingEvent",
    "ReadingSession",
    "RefreshToken",
    "School",
    "SchoolClass",
    "SchoolStaff",
    "SessionWord",
    "StripeEvent",
    "Student",
    "Subject",
    "Subscription",
    "TeacherNotification",
    "University",
    "User",
    "UserProfile",
    "UserSecret",
    "UserSubjectPreference",
    "Workspace",
    "WorkspaceBlock",
    "WorkspaceFile",
]
