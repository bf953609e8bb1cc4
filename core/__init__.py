"""Cross-cutting infrastructure: config, database, auth, pub/sub, LLM, app, CLI."""
