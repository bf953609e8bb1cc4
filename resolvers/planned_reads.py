"""The course platform's reads that run as planned SQL (see ``core.planning``): the
tables and columns behind each GraphQL field, with the same visibility rules as the
resolvers (``courses.visible_rule``, ``courses.offering_list_rule``, the progress rules).

Another domain's types become plannable the same way: ``register_type`` with the
type's table, a form per field, and the rule of its resolvers as a SQL expression
(``rule`` for rows reached by id or from the root, ``where`` on a relation); the
viewer's own rows compare with ``core.planning.VIEWER_ID``."""

from __future__ import annotations

from sqlalchemy import Double, case, cast, func, true

from core.planning import (
    Column,
    Count,
    DateTime,
    Decline,
    Expression,
    GlobalId,
    Json,
    Many,
    NodeById,
    NodesByIds,
    One,
    Page,
    Rows,
    Same,
    TypeForm,
    int_id,
    python_float,
    register_root,
    register_type,
)
from models.assessment import AssessmentSession
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
    Department,
    Enrollment,
    Module,
    Subject,
    University,
    UserProfile,
)
from models.feedback import FEATURE_REQUEST_STATUSES, FeatureRequest
from models.learning import (
    ContentProgress,
    LabSubmission,
    LearningActivity,
    ModuleProgress,
    QuizAttempt,
)
from models.prompts import Prompt, PromptDependency
from models.user import User
from resolvers import (
    access,
    assessment,
    chat,
    community,
    content,
    courses,
    enrollments,
    feature_requests,
    modules,
    profile,
    progress,
    prompts,
    user,
)

TREE_ORDER = ("sequence_index", "id")
LATEST = ("updated_at DESC", "id DESC")  # the latest progress row wins, as in the loaders

register_type(TypeForm("University", University.__table__, fields={
    "id": GlobalId("University"),
    "name": Column("name"),
    "shortName": Column("short_name"),
    "country": Column("country"),
    "websiteUrl": Column("website_url"),
    "description": Column("description"),
    "createdAt": DateTime("created_at"),
    "departments": Page("Department", ("id",), key="university_id"),
}))

register_type(TypeForm("Department", Department.__table__, fields={
    "id": GlobalId("Department"),
    "name": Column("name"),
    "code": Column("code"),
    "description": Column("description"),
    "university": One("University", parent_key="university_id"),
}))

register_type(TypeForm("Subject", Subject.__table__, fields={
    "id": GlobalId("Subject"),
    "name": Column("name"),
    "description": Column("description"),
}))

register_type(TypeForm("Course", Course.__table__, rule=courses.visible_rule, fields={
    "id": GlobalId("Course"),
    "title": Column("title"),
    "code": Column("code"),
    "description": Column("description"),
    "level": Column("level"),
    "creditHours": Column("credit_hours"),
    "isPublished": Column("is_published"),
    "cacheEnabled": Column("cache_enabled"),
    "llmModel": Column("llm_model"),
    "createdAt": DateTime("created_at"),
    "university": One("University", parent_key="university_id"),
    "department": One("Department", parent_key="department_id"),
    "primarySubject": One("Subject", parent_key="primary_subject_id"),
    "offerings": Page("CourseOffering", ("id",), key="course_id",
                      where=(courses.offering_list_rule,)),
    "stats": Same("CourseStats", allowed=courses.may_see_stats),
    "modules": Page("Module", TREE_ORDER, key="course_id",
                    where=(Module.parent_module_id.is_(None),)),
}))

# ``courses.get_stats``: counts, enrollments by status, ratings and the completion rate.
register_type(TypeForm("CourseStats", Course.__table__, by_id=False, fields={
    "offeringsCount": Count(CourseOffering.__table__, "course_id"),
    "modulesCount": Count(Module.__table__, "course_id"),
    "contentItemsCount": Count(ContentItem.__table__, "course_id"),
    "reviewCount": Count(CourseReview.__table__, "course_id"),
    "averageRating": Expression(courses.AVERAGE_RATING_SQL),
    "totalEnrollments": Expression(courses.enrollments_count_sql()),
    "activeEnrollments": Expression(courses.enrollments_count_sql("ACTIVE")),
    "completedEnrollments": Expression(courses.enrollments_count_sql("COMPLETED")),
    "droppedEnrollments": Expression(courses.enrollments_count_sql("DROPPED")),
    "withdrawnEnrollments": Expression(courses.enrollments_count_sql("WITHDRAWN")),
    "pendingEnrollments": Expression(courses.enrollments_count_sql("PENDING")),
    "completionRate": Expression(courses.COMPLETION_RATE_SQL),
}))

# Reached by id, an offering is also open to its enrolled learners: the general path's.
register_type(TypeForm("CourseOffering", CourseOffering.__table__, by_id=False, fields={
    "id": GlobalId("CourseOffering"),
    "termName": Column("term_name"),
    "startsAt": DateTime("starts_at"),
    "endsAt": DateTime("ends_at"),
    "enrollmentStart": DateTime("enrollment_start"),
    "enrollmentEnd": DateTime("enrollment_end"),
    "visibility": Column("visibility"),
    # ``courses.get_course_of`` shows the course of an offering a learner is enrolled in
    # even when they may not see it otherwise (its stats with it, ``courses.stats_of``):
    # planned for those who see every course.
    "course": One("Course", parent_key="course_id", allowed=courses.can_author),
}))

register_type(TypeForm("Module", Module.__table__, rule=modules.visible_rule, fields={
    "id": GlobalId("Module"),
    "title": Column("title"),
    "description": Column("description"),
    "moduleType": Column("module_type"),
    "sequenceIndex": Column("sequence_index"),
    "course": One("Course", parent_key="course_id"),
    "parent": One("Module", parent_key="parent_module_id"),
    "children": Many("Module", key="parent_module_id", order=TREE_ORDER),
    "content": Many("ContentItem", key="module_id", order=TREE_ORDER),
    "progress": One("ViewerModuleProgress", parent_key="id", key="module_id", order=LATEST,
                    where=(modules.viewer_progress_rule,)),
}))

register_type(TypeForm("ViewerModuleProgress", ModuleProgress.__table__, by_id=False, fields={
    "progressPercent": Column("progress_percent"),
    "startedAt": DateTime("started_at"),
    "completedAt": DateTime("completed_at"),
}))

register_type(TypeForm("ContentType", ContentType.__table__, fields={
    "id": GlobalId("ContentType"),
    "name": Column("name"),
    "label": Column("label"),
    "description": Column("description"),
    "requiredFields": Json("required_fields"),
    "promptName": Column("prompt_name"),
}))

register_type(TypeForm("ContentItem", ContentItem.__table__, rule=content.visible_rule, fields={
    "id": GlobalId("ContentItem"),
    "title": Column("title"),
    "description": Column("description"),
    "dataJson": Json("data_json"),
    "sequenceIndex": Column("sequence_index"),
    "estimatedDurationSeconds": Column("estimated_duration_seconds"),
    "contentType": One("ContentType", parent_key="content_type_id"),
    "module": One("Module", parent_key="module_id"),
    "progress": One("ViewerContentProgress", parent_key="id", key="content_item_id",
                    order=LATEST, where=(content.viewer_progress_rule,)),
}))

register_type(TypeForm("ViewerContentProgress", ContentProgress.__table__, by_id=False,
                       fields={
    "progressPercent": Column("progress_percent"),
    "timeSpentSeconds": Column("time_spent_seconds"),
    "startedAt": DateTime("started_at"),
    "completedAt": DateTime("completed_at"),
}))



def private(column):
    """A user's field for the user themself and admins (``user.can_see_private``); null
    for the others."""
    return Expression(lambda viewer: case((user.private_rule(viewer), column)))


# Anyone may read a user by id (``user.get_many``), its private fields as ``private`` says.
register_type(TypeForm("User", User.__table__, fields={
    "id": GlobalId("User"),
    "displayName": Column("display_name"),
    "fullName": Column("display_name"),
    "avatarUrl": Column("avatar_url"),
    "roles": Json("roles"),
    "createdAt": DateTime("created_at"),
    "number": Column("number"),
    "hasGithub": Expression(User.github_id.is_not(None)),
    "email": private(User.email),
    "locale": private(User.locale),
    "timeZone": private(User.time_zone),
    "isActive": private(User.is_active),
    "lastActivityDate": private(User.last_activity_date),
    # ``profile.get_profile`` and ``get_subject_ids``: for the user and admins.
    "profile": One("UserProfile", parent_key="id", key="user_id",
                   where=(access.self_or_admin_rule(UserProfile),)),
    "subjectPreferences": private(profile.subject_ids_value()),
    # The user's enrollments and module progress (without ``courseOfferingId``, which the
    # general path checks first), oldest first: for the user and admins, null for others.
    "enrollments": Page("Enrollment", ("id",), key="user_id", shown=user.private_rule),
    "progress": Page("ModuleProgress", ("id",), key="user_id", shown=user.private_rule),
}))

register_type(TypeForm("UserProfile", UserProfile.__table__, by_id=False, fields={
    "dateOfBirth": Column("date_of_birth"),
    "learningGoal": Column("learning_goal"),
    "studyLevel": Column("study_level"),
    "grade": Column("grade"),
}))

register_type(TypeForm("Enrollment", Enrollment.__table__, rule=enrollments.visible_rule,
                       fields={
    "id": GlobalId("Enrollment"),
    "status": Column("status"),
    "enrolledAt": DateTime("enrolled_at"),
    "completedAt": DateTime("completed_at"),
    "courseOffering": One("CourseOffering", parent_key="course_offering_id"),
    "user": One("User", parent_key="user_id"),
}))

register_type(TypeForm("ChatSession", ChatSession.__table__, rule=chat.session_rule, fields={
    "id": GlobalId("ChatSession"),
    "contentItemId": GlobalId("ContentItem", "content_item_id"),
    "contentContext": Json("content_context"),
    "shareEnabled": Column("share_enabled"),
    "shareToken": Column("share_token"),
    "cacheNodeId": GlobalId("ChatCacheNode", "cache_node_id"),
    "cacheState": Column("cache_state"),
    "createdAt": DateTime("created_at"),
    "updatedAt": DateTime("updated_at"),
    "contentItem": One("ContentItem", parent_key="content_item_id",
                       where=(content.visible_rule,)),
    "messages": Page("ChatMessage", ("id",), key="session_id"),
}))

register_type(TypeForm("ChatMessage", ChatMessage.__table__, rule=chat.message_rule, fields={
    "id": GlobalId("ChatMessage"),
    "role": Expression(func.upper(ChatMessage.role)),
    "content": Column("content"),
    "meta": Json("meta"),
    "createdAt": DateTime("created_at"),
}))

register_type(TypeForm("Prompt", Prompt.__table__, by_id=prompts.may_read, fields={
    "id": GlobalId("Prompt"),
    "number": Column("id"),
    "name": Column("name"),
    "version": Column("version"),
    "type": Expression(func.upper(Prompt.type)),
    "prompt": Column("prompt"),
    "config": Json("config"),
    "labels": Json("labels"),
    "tags": Json("tags"),
    "commitMessage": Column("commit_message"),
    "createdAt": DateTime("created_at"),
    "updatedAt": DateTime("updated_at"),
    "creator": One("User", parent_key="created_by"),
    "dependencies": Many("PromptDependency", key="parent_id", order=("id",)),
}))

register_type(TypeForm("PromptDependency", PromptDependency.__table__, by_id=False, fields={
    "childName": Column("child_name"),
    "childVersion": Column("child_version"),
    "childLabel": Column("child_label"),
}))

# A learner's assessments, with what the list shows of their stored results (status,
# readiness, role name) by the rules ``assessment`` reads them with. The knowledge graph
# and the study materials are worked out in Python: the general path answers them.
register_type(TypeForm("AssessmentSession", AssessmentSession.__table__,
                       rule=assessment.mine_rule, fields={
    "id": GlobalId("AssessmentSession"),
    "status": Expression(func.upper(assessment.status_sql())),
    "skillIds": Expression(func.to_json(AssessmentSession.skill_ids)),
    "targetLevel": Column("target_level"),
    "roleId": Column("role_id"),
    "roleName": Expression(lambda viewer: assessment.role_name_sql()),
    "domain": Column("domain"),
    "thoroughness": Column("thoroughness"),
    "maxQuestions": Column("max_questions"),
    "questionsAsked": Column("questions_asked"),
    "pendingQuestion": Column("pending_question"),
    "overallReadiness": Expression(assessment.readiness_sql()),
    "createdAt": DateTime("created_at"),
    "completedAt": DateTime("completed_at"),
}))

# A learner's private notes and flashcards (``community``): by id for their author and
# admins (``access.self_or_admin_rule``), listed for their author, oldest first, on one
# course when asked.
register_type(TypeForm("Note", Note.__table__, rule=access.self_or_admin_rule(Note), fields={
    "id": GlobalId("Note"),
    "title": Column("title"),
    "body": Column("body"),
    "courseId": GlobalId("Course", "course_id"),
    "contentItemId": GlobalId("ContentItem", "content_item_id"),
    "createdAt": DateTime("created_at"),
    "updatedAt": DateTime("updated_at"),
}))

register_type(TypeForm("Flashcard", Flashcard.__table__, rule=access.self_or_admin_rule(Flashcard),
                       fields={
    "id": GlobalId("Flashcard"),
    "front": Column("front"),
    "back": Column("back"),
    "courseId": GlobalId("Course", "course_id"),
    "contentItemId": GlobalId("ContentItem", "content_item_id"),
    "createdAt": DateTime("created_at"),
    "updatedAt": DateTime("updated_at"),
    # The latest, as LatestReviewByFlashcardIdLoader reads it.
    "lastReview": One("FlashcardReview", parent_key="id", key="flashcard_id",
                      order=("reviewed_at DESC", "id DESC")),
}))

register_type(TypeForm("FlashcardReview", FlashcardReview.__table__, by_id=False, fields={
    "grade": Column("grade"),
    "reviewedAt": DateTime("reviewed_at"),
    "nextReviewAt": DateTime("next_review_at"),
}))

# A course's reviews, for anyone who may see the course (``community.get_reviews_page``).
register_type(TypeForm("CourseReview", CourseReview.__table__, rule=community.review_rule,
                       fields={
    "id": GlobalId("CourseReview"),
    "rating": Column("rating"),
    "review": Column("review"),
    "courseId": GlobalId("Course", "course_id"),
    "createdAt": DateTime("created_at"),
    "updatedAt": DateTime("updated_at"),
    "author": One("User", parent_key="user_id"),
}))

# A course's discussions, for its members (``community``): threads and their posts, oldest
# first, with their authors.
register_type(TypeForm("DiscussionThread", DiscussionThread.__table__,
                       rule=community.thread_rule, fields={
    "id": GlobalId("DiscussionThread"),
    "title": Column("title"),
    "body": Column("body"),
    "courseId": GlobalId("Course", "course_id"),
    "contentItemId": GlobalId("ContentItem", "content_item_id"),
    "createdAt": DateTime("created_at"),
    "updatedAt": DateTime("updated_at"),
    "author": One("User", parent_key="user_id"),
    "posts": Page("DiscussionPost", ("id",), key="thread_id"),
}))

register_type(TypeForm("DiscussionPost", DiscussionPost.__table__, rule=community.post_rule,
                       fields={
    "id": GlobalId("DiscussionPost"),
    "body": Column("body"),
    "threadId": GlobalId("DiscussionThread", "thread_id"),
    "parentPostId": GlobalId("DiscussionPost", "parent_post_id"),
    "createdAt": DateTime("created_at"),
    "updatedAt": DateTime("updated_at"),
    "author": One("User", parent_key="user_id"),
}))

# A learner's progress rows (``progress``): by id for themselves and admins, listed for
# themselves, oldest first, in one offering when asked (NOT_FOUND for an offering that
# does not exist).
register_type(TypeForm("ModuleProgress", ModuleProgress.__table__,
                       rule=access.self_or_admin_rule(ModuleProgress), fields={
    "id": GlobalId("ModuleProgress"),
    "moduleId": GlobalId("Module", "module_id"),
    "courseOfferingId": GlobalId("CourseOffering", "course_offering_id"),
    "progressPercent": Column("progress_percent"),
    "startedAt": DateTime("started_at"),
    "completedAt": DateTime("completed_at"),
    "updatedAt": DateTime("updated_at"),
}))

register_type(TypeForm("ContentProgress", ContentProgress.__table__,
                       rule=access.self_or_admin_rule(ContentProgress), fields={
    "id": GlobalId("ContentProgress"),
    "contentItemId": GlobalId("ContentItem", "content_item_id"),
    "courseOfferingId": GlobalId("CourseOffering", "course_offering_id"),
    "progressPercent": Column("progress_percent"),
    "timeSpentSeconds": Column("time_spent_seconds"),
    "startedAt": DateTime("started_at"),
    "completedAt": DateTime("completed_at"),
    "updatedAt": DateTime("updated_at"),
}))

# Feature requests (``feature_requests``): their authors' and, for instructors and admins,
# everyone's, newest first; by id for signed-in viewers (the general path refuses others).
register_type(TypeForm("FeatureRequest", FeatureRequest.__table__,
                       rule=feature_requests.visible_rule,
                       by_id=lambda viewer: viewer.user_id is not None, fields={
    "id": GlobalId("FeatureRequest"),
    "number": Column("id"),
    "title": Column("title"),
    "description": Column("description"),
    "status": Expression(func.upper(FeatureRequest.status)),
    "adminNotes": Column("admin_notes"),
    "createdAt": DateTime("created_at"),
    "updatedAt": DateTime("updated_at"),
    "userNumber": Expression(feature_requests.author_value(User.number)),
    "userName": Expression(feature_requests.author_value(User.display_name)),
    "userEmail": Expression(feature_requests.author_email_value),
    "user": One("User", parent_key="user_id"),
}))


def feature_request_status(name: str) -> str:
    """A ``status`` argument (the enum's name) as stored; Decline for any other name."""
    value = name.lower()
    if value not in FEATURE_REQUEST_STATUSES or name != value.upper():
        raise Decline("status")
    return value


# A shared tutor chat, for anyone holding its token (``chat.get_shared``): NOT_FOUND for a
# token no shared session has.
register_type(TypeForm("SharedChatSession", ChatSession.__table__, by_id=False, fields={
    "contentItemId": GlobalId("ContentItem", "content_item_id"),
    "contentContext": Json("content_context"),
    "createdAt": DateTime("created_at"),
    "messages": Many("SharedChatMessage", key="session_id", order=("id",)),
}))

register_type(TypeForm("SharedChatMessage", ChatMessage.__table__, by_id=False, fields={
    "role": Expression(func.upper(ChatMessage.role)),
    "content": Column("content"),
    "createdAt": DateTime("created_at"),
}))

# A learner's activity and quiz attempts, by id for themselves and admins
# (``activity.get_many``, ``progress.get_many``).
register_type(TypeForm("LearningActivity", LearningActivity.__table__,
                       rule=access.self_or_admin_rule(LearningActivity), fields={
    "id": GlobalId("LearningActivity"),
    "kind": Column("kind"),
    "summary": Column("summary"),
    "occurredAt": DateTime("occurred_at"),
    "localDate": Column("local_date"),
    "courseId": GlobalId("Course", "course_id"),
    "moduleId": GlobalId("Module", "module_id"),
    "contentItemId": GlobalId("ContentItem", "content_item_id"),
}))

register_type(TypeForm("QuizAttempt", QuizAttempt.__table__,
                       rule=access.self_or_admin_rule(QuizAttempt), fields={
    "id": GlobalId("QuizAttempt"),
    "contentItemId": GlobalId("ContentItem", "content_item_id"),
    "score": python_float(cast(QuizAttempt.score, Double)),
    "passed": Column("passed"),
    "answers": Json("answers"),
    "submittedAt": DateTime("submitted_at"),
}))

register_type(TypeForm("LabSubmission", LabSubmission.__table__, rule=progress.lab_rule,
                       fields={
    "id": GlobalId("LabSubmission"),
    "contentItemId": GlobalId("ContentItem", "content_item_id"),
    "submission": Column("submission"),
    "status": Column("status"),
    "score": python_float(cast(LabSubmission.score, Double)),
    "feedback": Column("feedback"),
    "gradedAt": DateTime("graded_at"),
    "createdAt": DateTime("created_at"),
}))

register_root("node", NodeById())
register_root("nodes", NodesByIds())
register_root("courses", Page("Course", ("id",), where=(Course.kind == "COURSE",)))
register_root("universities", Page("University", ("id",)))
register_root("subjects", Page("Subject", ("id",)))
register_root("contentTypes", Page("ContentType", ("id",)))
register_root("userDirectory", Page("User", ("number",), allowed=lambda v: v.user_id is not None))
# ``user.get_by_number_or_raise``: any signed-in viewer, NOT_FOUND for a number nobody has.
register_root("userByNumber", Rows("User", arguments=(("number", "number"),), parse=int,
                                   required=True, allowed=lambda v: v.user_id is not None))
register_root("myAssessments", Page("AssessmentSession", ("created_at DESC", "id"),
                                    allowed=lambda v: v.user_id is not None))
register_root("users", Page("User", ("created_at", "id"), allowed=user.may_list_all))
register_root("myChatSessions", Page("ChatSession", ("id DESC",),
                                     allowed=lambda v: v.user_id is not None))
register_root("myEnrollments", Page("Enrollment", ("id",), where=(enrollments.mine_rule,),
                                    allowed=lambda v: v.user_id is not None))
for _root, _model in (("myNotes", Note), ("myFlashcards", Flashcard)):
    register_root(_root, Page(_model.__name__, ("id",), where=(access.own_rule(_model),),
                              arguments=(("courseId", "course_id"),), parse=int_id("Course"),
                              allowed=lambda v: v.user_id is not None))
register_root("courseReviews", Page("CourseReview", ("id",),
                                    arguments=(("courseId", "course_id"),),
                                    parse=int_id("Course"), requires=(("Course", "courseId"),)))
register_root("discussionThreads", Page(
    "DiscussionThread", ("id",), arguments=(("courseId", "course_id"),), parse=int_id("Course"),
    requires=(("Course", "courseId", community.member_rule),),
    allowed=lambda v: v.user_id is not None))
for _root, _model in (("myModuleProgress", ModuleProgress), ("myContentProgress", ContentProgress)):
    register_root(_root, Page(
        _model.__name__, ("id",), where=(access.own_rule(_model),),
        arguments=(("courseOfferingId", "course_offering_id"),), parse=int_id("CourseOffering"),
        requires=(("CourseOffering", "courseOfferingId", lambda viewer: true()),),
        allowed=lambda v: v.user_id is not None))
register_root("myFeatureRequests", Page("FeatureRequest", ("created_at DESC", "id DESC"),
                                        where=(access.own_rule(FeatureRequest),),
                                        allowed=lambda v: v.user_id is not None))
register_root("featureRequests", Page("FeatureRequest", ("created_at DESC", "id DESC"),
                                      arguments=(("status", "status"),),
                                      parse=feature_request_status,
                                      allowed=feature_requests.may_triage))
register_root("sharedChatSession", Rows("SharedChatSession", arguments=(("token", "share_token"),),
                                        where=(chat.SHARED,), required=True))
