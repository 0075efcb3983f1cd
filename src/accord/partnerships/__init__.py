"""Partnerships: charters, parties, affirmations and the charter checks."""
