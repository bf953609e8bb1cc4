"""The one strawberry Schema: per-domain Query/Mutation/Subscription classes merged here."""

from __future__ import annotations

import strawberry
from strawberry.extensions import ParserCache
from strawberry.file_uploads import Upload
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from core.config import Settings
from schema.accounts import AccountMutation, AccountQuery
from schema.analytics import AnalyticsMutation, AnalyticsQuery
from schema.api_key import ApiKeyMutation, ApiKeyQuery
from schema.assessment import AssessmentMutation, AssessmentQuery, AssessmentSubscription
from schema.auth import AuthMutation, AuthSubscription
from schema.billing import BillingMutation, BillingQuery
from schema.catalog import CatalogMutation, CatalogQuery
from schema.chat import ChatMutation, ChatQuery, ChatSubscription
from schema.codelab_ai import CodelabAiMutation, CodelabAiQuery, CodelabAiSubscription
from schema.codelab_archive import CodelabArchiveMutation, CodelabArchiveQuery
from schema.codelab_certificates import CodelabCertificateMutation, CodelabCertificateQuery
from schema.codelab_files import CodelabFilesMutation
from schema.codelab_help import CodelabHelpMutation
from schema.codelab_quizzes import CodelabQuizMutation
from schema.codelab_room import CodelabRoomMutation, CodelabRoomQuery, CodelabRoomSubscription
from schema.codelab_workspaces import CodelabWorkspaceMutation, CodelabWorkspaceQuery
from schema.codelabs import CodelabMutation, CodelabQuery
from schema.community import CommunityMutation, CommunityQuery
from schema.credentials import RefuseInvalidCredentials
from schema.curriculum import CurriculumMutation, CurriculumQuery
from schema.defaults import make_defaults_printable
from schema.descriptions import (
    describe_arguments,
    describe_input_fields,
    describe_shared_arguments,
)
from schema.errors import ErrorShaping, Schema
from schema.evidence import EvidenceMutation
from schema.execution import DocumentOrderExecution
from schema.feedback import FeedbackMutation, FeedbackQuery
from schema.ghl import GhlMutation, GhlQuery, GhlSubscription
from schema.input_bounds import FILE_UPLOAD, InputBounds
from schema.knowledge import KnowledgeQuery
from schema.learning import LearningMutation, LearningQuery
from schema.limits import LimitedValidation, limit_extensions
from schema.llm_usage import LlmUsageMutation, LlmUsageQuery
from schema.node import NodeQuery
from schema.operation_metrics import OperationMetrics
from schema.operation_tracing import OperationTracing
from schema.organization import OrganizationMutation, OrganizationQuery
from schema.parent_claims import ParentClaimMutation, ParentClaimQuery
from schema.performance import PerformanceMutation
from schema.permissions import CountKeyRequestsOnce
from schema.platform_llm import PlatformLlmMutation, PlatformLlmQuery
from schema.prompt_labels import PromptLabelMutation, PromptLabelQuery
from schema.prompts import PromptMutation, PromptQuery
from schema.rate_limit import RateLimitQuery
from schema.reading import ReadingMutation, ReadingQuery
from schema.reading_bot import ReadingBotMutation, ReadingBotQuery
from schema.reading_content import ReadingContentMutation, ReadingContentQuery
from schema.retry import retry_mutations
from schema.roster import RosterMutation, RosterQuery
from schema.school import SchoolMutation, SchoolQuery
from schema.teacher_notifications import (
    TeacherNotificationMutation,
    TeacherNotificationQuery,
    TeacherNotificationSubscription,
)
from schema.trusted_documents import TrustedDocuments
from schema.user import UserMutation, UserQuery
from schema.workspace import WorkspaceMutation, WorkspaceQuery

QUERIES = (UserQuery, ApiKeyQuery, AssessmentQuery, CatalogQuery, LearningQuery,
           CommunityQuery, FeedbackQuery, AnalyticsQuery, KnowledgeQuery, PromptQuery,
           PlatformLlmQuery, ChatQuery, OrganizationQuery, WorkspaceQuery, ReadingQuery,
           CodelabQuery, CodelabCertificateQuery, ReadingBotQuery, ReadingContentQuery,
           CodelabArchiveQuery, CodelabRoomQuery, CodelabWorkspaceQuery,
           CodelabAiQuery,
           CurriculumQuery, GhlQuery, BillingQuery, RosterQuery, SchoolQuery,
           TeacherNotificationQuery, AccountQuery, LlmUsageQuery, PromptLabelQuery,
           ParentClaimQuery)
MUTATIONS = (AuthMutation, UserMutation, ApiKeyMutation, CatalogMutation, LearningMutation,
             CommunityMutation, FeedbackMutation, AnalyticsMutation, AssessmentMutation,
             PromptMutation, PlatformLlmMutation, ChatMutation, OrganizationMutation,
             WorkspaceMutation, ReadingMutation, CodelabMutation, CodelabHelpMutation,
             CodelabQuizMutation, CodelabCertificateMutation, CodelabFilesMutation,
             CodelabArchiveMutation, CodelabRoomMutation, CodelabWorkspaceMutation,
             CodelabAiMutation,
             ReadingBotMutation,
             ReadingContentMutation, CurriculumMutation,
             EvidenceMutation, GhlMutation, PerformanceMutation, BillingMutation,
             RosterMutation, SchoolMutation, TeacherNotificationMutation, AccountMutation,
             LlmUsageMutation, PromptLabelMutation,
             ParentClaimMutation)
SUBSCRIPTIONS = (AuthSubscription, AssessmentSubscription, ChatSubscription,
                 GhlSubscription, CodelabRoomSubscription, CodelabAiSubscription,
                 TeacherNotificationSubscription)


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema with this deployment's limits, caches and error shaping."""
    settings = settings or Settings()
    schema = Schema(
        query=merge_types("Query", (NodeQuery, *QUERIES, RateLimitQuery)),
        mutation=retry_mutations(merge_types("Mutation", MUTATIONS)),
        subscription=merge_types("Subscription", SUBSCRIPTIONS),
        config=StrawberryConfig(disable_field_suggestions=True),
        scalar_overrides={Upload: FILE_UPLOAD},
        execution_context_class=DocumentOrderExecution,
        extensions=[
            OperationMetrics,
            OperationTracing,
            # Only registered documents, in trusted documents mode.
            *([TrustedDocuments] if settings.trusted_documents_only else []),
            # Bounds first: a document over the size limit is refused before it is parsed.
            lambda: InputBounds(max_document_length=settings.graphql_max_document_length,
                                max_string_length=settings.max_string_length),
            lambda: ParserCache(maxsize=1000),
            # Validation first refuses documents whose fragment spreads expand too far,
            # before the depth rule (added below) or any other rule walks them.
            LimitedValidation,
            *limit_extensions(settings),
            RefuseInvalidCredentials,
            CountKeyRequestsOnce,
            ErrorShaping,
        ],
    )
    make_defaults_printable(schema._schema)
    # The tables first: a shared description fills only what they leave.
    describe_arguments(schema._schema)
    describe_input_fields(schema._schema)
    describe_shared_arguments(schema._schema)
    return schema


def export_sdl() -> str:
    """The SDL of the schema, as committed in ``schema.graphql``."""
    return build_schema().as_str() + "\n"
