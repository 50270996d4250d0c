"""Cross-cutting pieces: the user model and learner identity, roles, JWT, errors, health."""
