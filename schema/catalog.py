"""GraphQL for the course platform: catalog.

The catalog's pieces live in their own modules (institutions, courses, the
module tree, content) and are merged here into CatalogQuery/CatalogMutation.
"""

from __future__ import annotations

from strawberry.tools import merge_types

from schema.content import ContentMutation, ContentQuery
from schema.course_tree import ModuleMutation
from schema.courses import CourseMutation, CourseQuery
from schema.enrollments import EnrollmentMutation, EnrollmentQuery, enrollments_connection
from schema.institutions import InstitutionMutation, InstitutionQuery

CatalogQuery = merge_types("CatalogQuery", (InstitutionQuery, CourseQuery, EnrollmentQuery,
                                                 ContentQuery))
CatalogMutation = merge_types("CatalogMutation",
                              (InstitutionMutation, CourseMutation, EnrollmentMutation,
                               ModuleMutation, ContentMutation))

__all__ = ["CatalogMutation", "CatalogQuery", "enrollments_connection"]
