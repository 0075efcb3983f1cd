"""Stories: how partners built their partnerships, and what it achieved."""
