"""Test support: the people and places every test can rely on, and web helpers."""
