"""Passwords, tokens and keys."""
