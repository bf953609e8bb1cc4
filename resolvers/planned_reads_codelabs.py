"""The Codelabs face's reads that run as planned SQL (see ``core.planning`` and
``resolvers.planned_reads``): codelabs (a course of kind CODELAB with its workshop
settings), their steps (its modules) and materials, by id (``node``, ``codelab(id:)``),
from the root list and from their codelab, with the rules of ``resolvers.codelabs`` as
SQL expressions.

A codelab's attendees and pending help requests are for its facilitators and its own
attendees (``codelabs.member_rule``), as are its quizzes (whose answers only its
facilitators read: ``codelab_quizzes.answer_value``), its feedback and quiz submissions
for its facilitators (``codelabs.facilitate_rule``), and its submissions for its members
too, an attendee's own only (``codelab_submissions.visible_rule``): they are planned
guarded by that rule, so for anyone else the statement declines and the general path
answers with its error."""

from __future__ import annotations

from sqlalchemy import case, func, select, tuple_

from core.planning import (
    Column,
    DateTime,
    Decline,
    Expression,
    GlobalId,
    Json,
    Many,
    Page,
    Rows,
    TypeForm,
    decode_global_id,
    register_root,
    register_type,
)
from models.codelab import (
    Codelab,
    CodelabAttendee,
    CodelabFeedback,
    CodelabHelpRequest,
    CodelabQuiz,
    CodelabQuizSubmission,
)
from models.codelab_files import CodelabAiConversation, CodelabMaterial, CodelabSubmission
from models.codelab_live import CodelabChatMessage
from models.course import Course, Enrollment, Module
from resolvers import (
    codelab_ai,
    codelab_attendees,
    codelab_materials,
    codelab_quizzes,
    codelab_room,
    codelab_submissions,
    codelabs,
)

STEP_ORDER = ("sequence_index", "id")  # as StepsByCourseIdLoader reads them
_step = Module.__table__.alias("step")


def _enrollment(value):
    """A value of an attendee's enrollment, as a SQL expression on attendees."""
    return select(value).where(Enrollment.id == CodelabAttendee.enrollment_id) \
        .scalar_subquery()


def _attendee(value, attendee_id):
    """A value of the attendee a row names (``attendee_id``), as a SQL expression."""
    return Expression(select(value).where(CodelabAttendee.enrollment_id == attendee_id)
                      .scalar_subquery())


def _setting(column):
    return Expression(codelabs.settings_value(column))


register_type(TypeForm("Codelab", Course.__table__, rule=codelabs.visible_rule, fields={
    "id": GlobalId("Codelab"),
    "legacyId": Expression(func.concat("codelab_", Course.id)),
    "title": Column("title"),
    "description": Column("description"),
    "author": _setting(Codelab.author),
    "isPublic": Column("is_published"),
    "quizEnabled": _setting(Codelab.quiz_enabled),
    "requireQuiz": _setting(Codelab.require_quiz),
    "requireFeedback": _setting(Codelab.require_feedback),
    "guideMarkdown": _setting(Codelab.guide_markdown),
    "createdAt": DateTime("created_at"),
    "attendanceCode": Expression(lambda viewer: case((
        codelabs.facilitate_rule(viewer), codelabs.settings_value(Codelab.attendance_code)))),
    "steps": Many("CodelabStep", key="course_id", order=STEP_ORDER),
    "materials": Page("CodelabMaterial", ("id",), key="course_id"),
    "submissions": Page("CodelabSubmission", ("id",), key="course_id", guard=codelabs.member_rule,
                        where=(codelab_submissions.visible_rule,)),
    "attendees": Many("CodelabAttendee", key="course_id", guard=codelabs.member_rule,
                      order=(_enrollment(Enrollment.enrolled_at).desc(), "enrollment_id DESC")),
    "helpRequests": Many("CodelabHelpRequest", key="course_id", guard=codelabs.member_rule,
                         order=("created_at DESC", "id DESC"),
                         where=(CodelabHelpRequest.status == "pending",)),
    "feedback": Many("CodelabFeedback", key="course_id", guard=codelabs.facilitate_rule,
                     order=("created_at DESC", "id DESC")),
    "quizzes": Many("CodelabQuiz", key="course_id", guard=codelabs.member_rule,
                    order=("position", "id")),
    "quizSubmissions": Many("CodelabQuizSubmission", key="course_id",
                            guard=codelabs.facilitate_rule, order=("created_at DESC", "id DESC")),
}))

# Newest first, as codelab_attendees.get_all reads them.
register_type(TypeForm("CodelabAttendee", CodelabAttendee.__table__, by_id=False, fields={
    "legacyId": Expression(codelab_attendees.legacy_id_value()),
    "name": Expression(codelab_attendees.name_value()),
    "email": Expression(lambda viewer: case((codelab_attendees.email_rule(viewer),
                                             CodelabAttendee.email))),
    "currentStep": Column("current_step"),
    "isCompleted": Expression(_enrollment(Enrollment.status == "COMPLETED")),
    "completedAt": DateTime(_enrollment(Enrollment.completed_at)),
    "createdAt": DateTime(_enrollment(Enrollment.enrolled_at)),
}))

# Its attendee's, as codelab_help.get_pending reads them.
register_type(TypeForm("CodelabHelpRequest", CodelabHelpRequest.__table__, by_id=False, fields={
    "id": GlobalId("CodelabHelpRequest"),
    "attendeeLegacyId": _attendee(codelab_attendees.legacy_id_value(),
                                  CodelabHelpRequest.attendee_id),
    "attendeeName": _attendee(codelab_attendees.name_value(), CodelabHelpRequest.attendee_id),
    "stepNumber": Column("step_number"),
    "status": Expression(func.upper(CodelabHelpRequest.status)),
    "createdAt": DateTime("created_at"),
}))

# Newest first, as codelab_feedback.get_all reads it.
register_type(TypeForm("CodelabFeedback", CodelabFeedback.__table__, by_id=False, fields={
    "attendeeLegacyId": _attendee(codelab_attendees.legacy_id_value(),
                                  CodelabFeedback.attendee_id),
    "difficulty": Column("difficulty"),
    "satisfaction": Column("satisfaction"),
    "comment": Column("comment"),
    "createdAt": DateTime("created_at"),
}))

# In order, as codelab_quizzes.get_all reads them: the answer where its rule lets the
# viewer read it.
register_type(TypeForm("CodelabQuiz", CodelabQuiz.__table__, by_id=False, fields={
    "id": GlobalId("CodelabQuiz"),
    "question": Column("question"),
    "quizType": Column("quiz_type"),
    "options": Json("options"),
    "correctAnswer": Expression(codelab_quizzes.answer_value),
}))

# Newest first, as codelab_quizzes.get_submissions reads them.
register_type(TypeForm("CodelabQuizSubmission", CodelabQuizSubmission.__table__, by_id=False,
                       fields={
    "quizId": GlobalId("CodelabQuiz", column="quiz_id"),
    "attendeeLegacyId": _attendee(codelab_attendees.legacy_id_value(),
                                  CodelabQuizSubmission.attendee_id),
    "attendeeName": _attendee(codelab_attendees.name_value(), CodelabQuizSubmission.attendee_id),
    "answer": Column("answer"),
    "isCorrect": Column("is_correct"),
    "createdAt": DateTime("created_at"),
}))

# A file's URL is the storage's (its public prefix bound per request from the instance
# serving it, as the general path reads it there).
register_type(TypeForm("CodelabMaterial", CodelabMaterial.__table__, by_id=False, fields={
    "id": GlobalId("CodelabMaterial"),
    "title": Column("title"),
    "materialType": Expression(func.upper(CodelabMaterial.material_type)),
    "linkUrl": Column("link_url"),
    "fileUrl": Expression(codelab_materials.file_url_value()),
    "createdAt": DateTime("created_at"),
}))

# In the order handed in, as codelab_submissions.get_all reads them; the file's URL is
# the storage's, as a material's.
register_type(TypeForm("CodelabSubmission", CodelabSubmission.__table__, by_id=False, fields={
    "fileUrl": Expression(codelab_submissions.file_url_value()),
    "id": GlobalId("CodelabSubmission"),
    "attendeeLegacyId": _attendee(codelab_attendees.legacy_id_value(),
                                  CodelabSubmission.attendee_id),
    "attendeeName": _attendee(codelab_attendees.name_value(), CodelabSubmission.attendee_id),
    "fileName": Column("file_name"),
    "fileSize": Column("file_size"),
    "contentType": Column("content_type"),
    "createdAt": DateTime("created_at"),
}))

register_type(TypeForm("CodelabStep", Module.__table__, rule=codelabs.step_rule, fields={
    "id": GlobalId("CodelabStep"),
    # Its place among the codelab's steps, counted as get_steps orders them.
    "stepNumber": Expression(select(func.count()).select_from(_step).where(
        _step.c.course_id == Module.course_id,
        tuple_(_step.c.sequence_index, _step.c.id) <= tuple_(Module.sequence_index, Module.id))
        .scalar_subquery()),
    "title": Column("title"),
    "contentMarkdown": Column("description"),
    "legacyId": Expression(func.concat("step_", Module.id)),
}))

register_root("codelabs", Page("Codelab", ("id",), where=(codelabs.list_rule,)))



def codelab_id(value) -> int:
    """A ``codelab(id:)`` id as the general path reads it (a codelab's global id); Decline
    for anything else (it answers those with its error)."""
    kind, number = decode_global_id(value)
    if kind != "Codelab" or number < 1:
        raise Decline("id")
    return number


# One codelab by id, as codelabs.get finds it: a course of the codelab kind the viewer may
# read (NOT_FOUND otherwise, the general path's answer).
register_root("codelab", Rows("Codelab", arguments=(("id", "id"),), parse=codelab_id,
                              where=(Course.kind == codelabs.KIND,), required=True))

# A codelab's room messages, oldest first, for its members (``codelab_room.get_history``):
# every message for its facilitators, the room's chat and their own direct messages for
# its attendees; the general path's error for anyone else.
register_type(TypeForm("CodelabChatMessage", CodelabChatMessage.__table__, by_id=False, fields={
    "legacyId": Expression(func.concat("chat_", CodelabChatMessage.id)),
    "type": Expression(func.upper(CodelabChatMessage.msg_type)),
    "sender": Column("sender_name"),
    "message": Column("message"),
    "targetLegacyId": Expression(codelab_room.target_ref_value()),
    "createdAt": DateTime("created_at"),
}))
register_root("codelabChat", Page(
    "CodelabChatMessage", ("id",), where=(codelab_room.message_rule,),
    arguments=(("codelabId", "course_id"),), parse=codelab_id,
    requires=(("Codelab", "codelabId", codelab_room.room_rule),),
    allowed=lambda viewer: viewer.user_id is not None))

# A codelab's kept AI conversations, oldest first, for its facilitators
# (``codelab_ai.get_conversations``); the general path's error for anyone else.
register_type(TypeForm("CodelabAiConversation", CodelabAiConversation.__table__, by_id=False,
                       fields={
    "legacyId": Expression(func.concat("conversation_", CodelabAiConversation.id)),
    "attendeeLegacyId": Expression(codelab_ai.asker_value()),
    "stepNumber": Column("step_number"),
    "question": Column("question"),
    "answer": Column("answer"),
    "model": Column("model"),
    "createdAt": DateTime("created_at"),
}))
register_root("codelabAiConversations", Page(
    "CodelabAiConversation", ("id",), arguments=(("codelabId", "course_id"),),
    parse=codelab_id, requires=(("Codelab", "codelabId", codelab_ai.facilitated_rule),),
    allowed=lambda viewer: viewer.user_id is not None))
