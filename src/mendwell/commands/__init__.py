"""Sub-commands of the `mendwell` CLI; each module exposes a Typer ``app``."""
