"""Mendwell: the clinical record for psychedelic-assisted therapy programs."""

__version__ = "0.1.0"
