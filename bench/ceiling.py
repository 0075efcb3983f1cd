"""A bare FastAPI app answering a constant: the most a server on this machine can serve.

    uvicorn bench.ceiling:app --workers 2 --no-access-log

bench/load.py runs the same load against it and against Accord, and reports Accord's
throughput as a share of this one's.
"""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/constant")
async def constant() -> dict[str, bool]:
    """Always the same small JSON body (async: no hop to the thread pool, the true ceiling)."""
    return {"ok": True}
