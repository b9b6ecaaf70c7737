"""Where the graph lives: the embedded Oxigraph builds or any SPARQL 1.1 store.

`backend_for(settings)` is the one place that reads `KG_BACKEND`; the commands (`kg load`,
`kg query`, `kg stats`, `kg release`) and the web service call the `Backend` protocol and never
ask which one they got. See docs/deploy.md for when to use which.
"""

from __future__ import annotations

from kg.backends.base import Backend, Snapshot
from kg.settings import Settings

__all__ = ["Backend", "Snapshot", "backend_for"]


def backend_for(settings: Settings) -> Backend:
    """The backend `settings` name; the remote one holds an HTTP client (`close()` it)."""
    if settings.backend == "sparql":
        from kg.backends.remote import RemoteBackend

        return RemoteBackend.from_settings(settings)
    from kg.backends.embedded import EmbeddedBackend

    return EmbeddedBackend(settings.store_dir)
