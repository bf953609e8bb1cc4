"""The course platform's reads that run as planned SQL (see ``core.planning``): the
tables and columns behind each GraphQL field, with the same visibility rules as the
resolvers (``courses.visible_rule``)."""

from __future__ import annotations

from core.planning import (
    Column,
    DateTime,
    GlobalId,
    Many,
    NodeById,
    Page,
    TypeForm,
    register_root,
    register_type,
)
from models.course import ContentItem, Course, Module
from resolvers import content, courses, modules

TREE_ORDER = ("sequence_index", "id")

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
    "modules": Page("Module", TREE_ORDER, key="course_id",
                    where=(Module.parent_module_id.is_(None),)),
}))

register_type(TypeForm("Module", Module.__table__, rule=modules.visible_rule, fields={
    "id": GlobalId("Module"),
    "title": Column("title"),
    "description": Column("description"),
    "moduleType": Column("module_type"),
    "sequenceIndex": Column("sequence_index"),
    "children": Many("Module", key="parent_module_id", order=TREE_ORDER),
    "content": Many("ContentItem", key="module_id", order=TREE_ORDER),
}))

register_type(TypeForm("ContentItem", ContentItem.__table__, rule=content.visible_rule, fields={
    "id": GlobalId("ContentItem"),
    "title": Column("title"),
    "description": Column("description"),
    "sequenceIndex": Column("sequence_index"),
    "estimatedDurationSeconds": Column("estimated_duration_seconds"),
}))

register_root("node", NodeById())
register_root("courses", Page("Course", ("id",), where=(Course.kind == "COURSE",)))
