"""DataLoaders of what a codelab keeps beside its steps: materials, AI conversations."""

from __future__ import annotations

from loaders import ByParentLoader
from models.codelab_files import CodelabAiConversation, CodelabMaterial


class MaterialsByCourseIdLoader(ByParentLoader):
    """A codelab's materials in the order they were added."""

    model = CodelabMaterial
    key = "course_id"
    order = ("id",)


class AiConversationsByCourseIdLoader(ByParentLoader):
    """A codelab's saved AI conversations, oldest first."""

    model = CodelabAiConversation
    key = "course_id"
    order = ("id",)
