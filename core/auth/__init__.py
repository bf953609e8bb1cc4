"""Authentication: passwords, tokens, API keys, secrets at rest, cookies, the Viewer."""
