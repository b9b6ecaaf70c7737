"""The one settings object of heritage-kg, read from `KG_*` environment variables.

It is built once at the edge (the CLI, later the web app factory) and passed down, so library code
never reads the environment itself and tests can point every command at a throw-away store with a
single `KG_STORE_DIR`.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "default_root", "is_loopback"]


def default_root() -> Path:
    """The checkout this package lives in: data paths are relative to it unless overridden."""
    return Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    """Where the data and the store live, and how long a query may run.

    Relative paths in `store_dir` and `data_paths` are taken relative to `root`, so
    `KG_STORE_DIR=var/other` means the same thing from any working directory.
    """

    model_config = SettingsConfigDict(env_prefix="KG_", frozen=True)

    root: Path = Field(default_factory=default_root, description="the project checkout")
    store_dir: Path = Field(
        default=Path("var/store"),
        description="holds the store builds and the `current` link to the live one",
    )
    data_paths: tuple[Path, ...] = Field(
        default=(Path("ontology"), Path("data/ttl")),
        description="what `kg load` and `kg validate` read when no path is given",
    )
    query_timeout_s: float = Field(
        default=30.0, gt=0, description="wall-clock limit of one `kg query` evaluation"
    )
    host: str = Field(default="127.0.0.1", description="where `kg serve` listens")
    port: int = Field(default=8000, ge=0, le=65535, description="where `kg serve` listens")
    admin_token: SecretStr | None = Field(
        default=None,
        description="bearer token for /update and /store; unset means writes are disabled",
    )
    open_writes_for_tests: bool = Field(
        default=False,
        description="TESTS ONLY: /update and /store without a token; refused unless host is "
        "loopback",
    )
    workers: int = Field(
        default=2, ge=1, description="query worker processes `kg serve` starts with"
    )
    max_workers: int = Field(
        default=8,
        ge=1,
        description="most query worker processes: when a request waits and every worker has "
        "been on its query for over a second, another is started (and kept) up to this many, so "
        "short requests do not wait behind long queries",
    )
    max_concurrent_queries: int = Field(
        default=8, ge=1, description="queries admitted at once; more wait briefly, then get 503"
    )
    max_query_bytes: int = Field(
        default=100_000, ge=1, description="longest query or update text accepted (UTF-8 bytes)"
    )
    max_request_bytes: int = Field(
        default=16 * 1024 * 1024, ge=1, description="largest request body accepted (413 above)"
    )
    federation_allowlist: tuple[str, ...] = Field(
        default=(), description="IRI prefixes SERVICE and LOAD may reach (JSON list)"
    )
    cache_max_bytes: int = Field(
        default=64 * 1024 * 1024, ge=0, description="memory bound of the result cache"
    )
    releases_dir: Path = Field(
        default=Path("var/releases"), description="where `kg release` writes and /dumps/ serves"
    )
    public_base_url: str = Field(
        default="https://w3id.org/heritage-kg/",
        pattern=r"^https?://[^\s]*/$",
        description="base of the published addresses written into releases (<base>dumps/…)",
    )
    release_license: str = Field(
        default="https://creativecommons.org/licenses/by/4.0/",
        description="licence IRI of the released data (the one the ontology declares)",
    )
    release_publisher: str = Field(
        default="https://w3id.org/heritage-kg/", description="IRI of the publisher of releases"
    )
    release_publisher_name: str = Field(
        default="heritage-kg project", description="name of the publisher of releases"
    )

    backend: Literal["embedded", "sparql"] = Field(
        default="embedded",
        description="embedded: the Oxigraph builds in store_dir; sparql: a remote SPARQL 1.1 "
        "store at the sparql_* URLs (see docs/deploy.md)",
    )
    sparql_query_url: str | None = Field(
        default=None, description="SPARQL 1.1 Query endpoint of the remote store"
    )
    sparql_update_url: str | None = Field(
        default=None, description="SPARQL 1.1 Update endpoint of the remote store (kg load)"
    )
    sparql_gsp_url: str | None = Field(
        default=None, description="Graph Store Protocol endpoint of the remote store (kg load)"
    )
    sparql_user: str | None = Field(default=None, description="user for the remote store")
    sparql_password: SecretStr | None = Field(
        default=None, description="password for the remote store"
    )
    sparql_auth: Literal["basic", "digest"] = Field(
        default="basic", description="HTTP authentication scheme of the remote store"
    )
    sparql_engine: Literal["generic", "oxigraph", "virtuoso"] = Field(
        default="generic",
        description="dialect hints: oxigraph gets union-default-graph, virtuoso its timeout "
        "parameter (ms) and its partial-result header checked",
    )
    virtuoso_sql_address: str | None = Field(
        default=None,
        description="host:port of Virtuoso's SQL port (ServerPort of [Parameters]); with "
        "virtuoso_load_dir, kg load goes through Virtuoso's bulk loader",
    )
    virtuoso_load_dir: Path | None = Field(
        default=None,
        description="directory kg load writes the staged N-Quads file to; Virtuoso must read "
        "it (DirsAllowed)",
    )
    virtuoso_server_load_dir: str | None = Field(
        default=None,
        description="the same directory as the Virtuoso server sees it (default: "
        "virtuoso_load_dir), e.g. its path inside a container",
    )
    virtuoso_isql: str = Field(
        default="isql-vt", description="Virtuoso's isql command (Debian: isql-vt)"
    )

    @model_validator(mode="after")
    def _remote_needs_a_query_url(self) -> Settings:
        """A remote backend without an endpoint is a configuration error, caught at the edge."""
        if self.backend == "sparql" and not self.sparql_query_url:
            raise ValueError("backend 'sparql' needs sparql_query_url (KG_SPARQL_QUERY_URL)")
        return self

    @model_validator(mode="after")
    def _absolute_paths(self) -> Settings:
        """Anchor relative paths at the project root once, so nothing downstream guesses."""
        root = self.root.resolve()
        object.__setattr__(self, "root", root)
        object.__setattr__(self, "store_dir", _anchor(self.store_dir, root))
        object.__setattr__(self, "releases_dir", _anchor(self.releases_dir, root))
        object.__setattr__(self, "data_paths", tuple(_anchor(p, root) for p in self.data_paths))
        if self.virtuoso_load_dir is not None:
            object.__setattr__(self, "virtuoso_load_dir", _anchor(self.virtuoso_load_dir, root))
        return self

    @model_validator(mode="after")
    def _open_writes_only_on_loopback(self) -> Settings:
        """Tokenless writes exist for tests; binding them to a reachable interface is refused."""
        if self.open_writes_for_tests and not is_loopback(self.host):
            raise ValueError(
                f"open_writes_for_tests is only allowed with a loopback host, not {self.host!r}"
            )
        return self


def is_loopback(host: str) -> bool:
    """True for `localhost` and loopback addresses (127.0.0.0/8, ::1); False for 0.0.0.0 etc."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _anchor(path: Path, root: Path) -> Path:
    """`path` itself if absolute, else `root / path`."""
    return path if path.is_absolute() else root / path
