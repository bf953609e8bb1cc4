"""The course platform (2Sigma face and its GraphQL)."""
