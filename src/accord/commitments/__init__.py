"""Commitments: the conversation for action between a requester and a performer."""
