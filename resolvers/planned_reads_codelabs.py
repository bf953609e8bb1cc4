"""The Codelabs face's reads that run as planned SQL (see ``core.planning`` and
``resolvers.planned_reads``): codelabs (a course of kind CODELAB with its workshop
settings), their steps (its modules) and materials, by id, from the root list and from
their codelab, with the rules of ``resolvers.codelabs`` as SQL expressions.

A codelab's attendees, help requests, feedback, quizzes and their submissions are for
its facilitators (and some for its attendees) only: for anyone else the general path
answers with an error, which a statement cannot give, so documents reading them run
there."""

from __future__ import annotations

from sqlalchemy import case, func, select, tuple_

from core.planning import (
    Column,
    DateTime,
    Expression,
    GlobalId,
    Many,
    Page,
    TypeForm,
    register_root,
    register_type,
)
from models.codelab import Codelab
from models.codelab_files import CodelabMaterial
from models.course import Course, Module
from resolvers import codelabs

STEP_ORDER = ("sequence_index", "id")  # as StepsByCourseIdLoader reads them
_step = Module.__table__.alias("step")


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
}))

# A file's URL is the storage's (from the settings, not the row): documents reading
# ``fileUrl`` run on the general path.
register_type(TypeForm("CodelabMaterial", CodelabMaterial.__table__, by_id=False, fields={
    "id": GlobalId("CodelabMaterial"),
    "title": Column("title"),
    "materialType": Column("material_type"),
    "linkUrl": Column("link_url"),
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
