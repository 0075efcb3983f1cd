"""The REST API under /api/v1: its routes, pages of lists, Idempotency-Key, body limits and
the OpenAPI document."""
