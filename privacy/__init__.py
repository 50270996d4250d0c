"""Learner privacy: Open edX user retirement and username replacement, reaching every copy of a learner's PII."""
