"""The anchor for the API load benchmark: a bare FastAPI endpoint returning a constant.

Served exactly like the forecast API (uvicorn, one worker, no access log) so the ratio isolates our
per-request cost.
"""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/constant")
async def constant() -> dict[str, str]:
    return {"status": "ok"}
