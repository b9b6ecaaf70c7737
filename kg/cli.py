"""Command-line entry point (placeholder until the CLI module lands)."""
