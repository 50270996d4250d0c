"""Learner records (course-run credentials, grades) and the status APIs built on them."""
