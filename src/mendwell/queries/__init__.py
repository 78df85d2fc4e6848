"""Read-side queries, always scoped to what the acting user may see."""
