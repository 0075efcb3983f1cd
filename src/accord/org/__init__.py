"""Teams, people and memberships: who is in the organization and who leads what."""
