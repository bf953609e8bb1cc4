"""Loaders for assessments."""

from __future__ import annotations

from loaders import ByParentLoader
from models.assessment import AssessmentMaterial


class MaterialsBySessionIdLoader(ByParentLoader):
    """Each session's study materials, in the order they were written."""

    model = AssessmentMaterial
    key = "session_id"
    order = ("generated_at", "id")
