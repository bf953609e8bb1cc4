"""The business logic: plain async functions (ctx, inputs) -> models/results."""
