"""Clinical knowledge as versioned data files; every fact carries its source."""
