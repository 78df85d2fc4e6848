"""Input and output models at the edge (API and forms), separate from the ORM models."""
