"""The business logic: plain async functions (ctx, inputs) -> models/results.

Importing the package registers what the domain plugs into the infrastructure in
``core``: its background job handlers and its demo data.
"""

from resolvers import demo, jobs  # noqa: F401
