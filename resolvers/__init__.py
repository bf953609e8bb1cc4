"""The business logic: plain async functions (ctx, inputs) -> models/results.

Importing the package registers what the domain plugs into the infrastructure in
``core``: its background job handlers, its demo data and its planned reads.
"""

from resolvers import (  # noqa: F401
    demo,
    jobs,
    planned_reads,
    planned_reads_codelabs,
    planned_reads_openlesson,
    planned_reads_reading,
    planned_reads_roster,
)
