"""Search across the organization: commitments, partnerships, purposes, teams, people, stories."""
