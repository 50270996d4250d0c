"""Credit eligibility, credit providers and signed credit requests (docs/decisions/0006-credit.rst)."""
