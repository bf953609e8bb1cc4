"""The teacher portal's reads that run as planned SQL (see ``core.planning`` and
``resolvers/planned_reads.py``): classes, their students, teachers' notifications and
parents' claims, reached by ``node``/``nodes`` and through a class, with the resolvers'
own rules (``roster.readable_rule``, ``roster.student_rule``,
``teacher_notifications.visible_rule``, ``parent_claims.visible_rule``).

The roots ``teacherClasses`` (``roster.mine_rule``) and ``teacherClass(id:)`` are
planned too, ``teacherNotifications`` (newest first) and ``myParentClaims`` (a parent's
own, ``parent_claims.mine_rule``: the ``parent_claims.MINE_MAXIMUM`` newest). A student's
reading data (level, books, miles, quiz trend, attention flag, report) is worked out in
``roster._enrich`` and stays on the general path, as do ``school`` and the billing reads
(a subscription's state is computed, not read)."""

from __future__ import annotations

from sqlalchemy import func

from core.planning import (
    Column,
    Count,
    DateTime,
    Expression,
    GlobalId,
    Page,
    Rows,
    TypeForm,
    int_id,
    register_root,
    register_type,
)
from models.roster import ParentClaim, SchoolClass, Student, TeacherNotification
from resolvers import parent_claims, portal_roles, roster, teacher_notifications

register_type(TypeForm("TeacherClass", SchoolClass.__table__, rule=roster.readable_rule,
                       fields={
    "id": GlobalId("TeacherClass"),
    "number": Column("id"),
    "name": Column("name"),
    "yearLevel": Column("year_level"),
    "createdAt": DateTime("created_at"),
    "studentCount": Count(Student.__table__, "class_id"),
    "students": Page("ClassStudent", ("id",), key="class_id"),
}))

register_type(TypeForm("ClassStudent", Student.__table__, rule=roster.student_rule, fields={
    "id": GlobalId("ClassStudent"),
    "number": Column("id"),
    "name": Column("name"),
    # SQL functions of migration 0031: a lookup in another table, correlated to the row.
    "username": Expression(func.child_username(Student.user_id)),
    "yearLevel": Column("year_level"),
    "learnerServiceId": Column("user_id"),
}))

register_type(TypeForm("TeacherNotification", TeacherNotification.__table__,
                       rule=teacher_notifications.visible_rule, fields={
    "id": GlobalId("TeacherNotification"),
    "number": Column("id"),
    "type": Expression(func.upper(TeacherNotification.type)),
    "childName": Expression(func.student_name(TeacherNotification.student_id)),
    "message": Column("message"),
    "actionUrl": Column("action_url"),
    "read": Expression(TeacherNotification.read_at.is_not(None)),
    "createdAt": DateTime("created_at"),
}))

register_type(TypeForm("ParentClaim", ParentClaim.__table__, rule=parent_claims.visible_rule,
                       fields={
    "id": GlobalId("ParentClaim"),
    "number": Column("id"),
    "status": Expression(func.upper(ParentClaim.status)),
    "childName": Expression(func.student_name(ParentClaim.student_id)),
    "createdAt": DateTime("created_at"),
    "decidedAt": DateTime("decided_at"),
}))


register_root("teacherNotifications", Page(
    "TeacherNotification", ("id DESC",), maximum=teacher_notifications.PAGE_MAXIMUM,
    flags=(("unreadOnly", teacher_notifications.UNREAD),),
    allowed=lambda viewer: portal_roles.holds_any(viewer, portal_roles.STAFF)))
register_root("teacherClasses", Rows("TeacherClass", order=("id",), where=(roster.mine_rule,),
                                     allowed=roster.may_list))
# A class by its number or its global id, as the general path reads it.
register_root("teacherClass", Rows("TeacherClass", arguments=(("id", "id"),),
                                   parse=int_id("TeacherClass"), required=True,
                                   allowed=roster.may_list))
register_root("myParentClaims", Rows("ParentClaim", order=("id DESC",),
                                     where=(parent_claims.mine_rule,),
                                     limit=parent_claims.MINE_MAXIMUM,
                                     allowed=parent_claims.may_list_mine))
