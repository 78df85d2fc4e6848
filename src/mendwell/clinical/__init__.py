"""Pure clinical domain logic: no I/O, no database, no web. Plain data in, plain data out."""
