"""Use cases: one transaction each (load facts, let the core decide, write rows and audit)."""
