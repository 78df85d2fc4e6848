"""The error raised for analysis input that cannot be analysed as given."""

from __future__ import annotations


class AnalysisDataError(ValueError):
    """Bad analysis input; ``field`` names the column or argument at fault (or is ``None``)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)
