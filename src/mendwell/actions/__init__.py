"""Every write: permission check, validation, write and audit event, in one transaction."""
