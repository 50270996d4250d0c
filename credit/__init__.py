"""Credit eligibility, credit providers and signed credit requests (seed 002)."""
