"""The HTTP edge: the FastAPI app factory, its dependencies and the error table."""
