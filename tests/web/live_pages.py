"""A real server for the page tests: the curated data loaded by `kg load`'s library call, the app
from `create_app`, uvicorn on 127.0.0.1 with a free port in a thread of this process."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from kg.dataset import discover_files
from kg.settings import Settings
from kg.store import load_dataset
from kg.web import pages, query_ui, search
from kg.web.app import create_app

ROOT = Path(__file__).resolve().parents[2]


def page_app(store_dir: Path) -> FastAPI:
    """Build the curated store in `store_dir` and the app serving it, with the page routers."""
    files = discover_files([ROOT / "ontology", ROOT / "data" / "ttl"], root=ROOT)
    load_dataset(files, store_dir=store_dir)
    app = create_app(Settings(store_dir=store_dir, workers=1))
    present = {getattr(r, "path", None) for r in app.routes}
    for router in (pages.router, search.router, query_ui.router):
        if not {getattr(r, "path", None) for r in router.routes} <= present:
            app.include_router(router)
    return app


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run `app` with uvicorn on a free loopback port; yield its base URL; stop it after."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(600):
        if server.started:
            break
        time.sleep(0.05)
    else:  # pragma: no cover - a server that never starts fails the test run loudly
        raise RuntimeError("uvicorn did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
