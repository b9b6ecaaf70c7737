"""`python -m bench.ceiling PORT`: a bare FastAPI app returning a constant — the ceiling.

No store, no query, no cache: the fastest a FastAPI + uvicorn process can answer on this machine,
served the way `kg serve` serves (one uvicorn process, no access log). `kg serve` cannot beat it
on a request that needs a response body; the issue's target is 0.7x of it for entity look-ups.
"""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI, Response

_BODY = b'{"head": {"vars": ["p", "o"]}, "results": {"bindings": []}}'


def create_app() -> FastAPI:
    """The one-route app."""
    app = FastAPI()

    @app.get("/constant")
    def constant() -> Response:
        return Response(content=_BODY, media_type="application/sparql-results+json")

    return app


if __name__ == "__main__":
    uvicorn.run(create_app(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
                access_log=False)
