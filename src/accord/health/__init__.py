"""Health checks: rounds in which partners say how their partnership feels."""
