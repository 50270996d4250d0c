"""The catalog (organizations, courses, course runs) and programs with their exclusion lists."""
