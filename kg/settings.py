"""The one settings object of heritage-kg, read from `KG_*` environment variables.

It is built once at the edge (the CLI, later the web app factory) and passed down, so library code
never reads the environment itself and tests can point every command at a throw-away store with a
single `KG_STORE_DIR`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "default_root"]


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

    @model_validator(mode="after")
    def _absolute_paths(self) -> Settings:
        """Anchor relative paths at the project root once, so nothing downstream guesses."""
        root = self.root.resolve()
        object.__setattr__(self, "root", root)
        object.__setattr__(self, "store_dir", _anchor(self.store_dir, root))
        object.__setattr__(self, "data_paths", tuple(_anchor(p, root) for p in self.data_paths))
        return self


def _anchor(path: Path, root: Path) -> Path:
    """`path` itself if absolute, else `root / path`."""
    return path if path.is_absolute() else root / path
