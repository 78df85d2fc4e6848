"""Interchange formats: calendars, datasets."""
