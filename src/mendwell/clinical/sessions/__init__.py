"""Dosing-session rules: staffing, doses, duration, vital signs, adverse events, discharge."""
