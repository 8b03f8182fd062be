"""Speaks the OCI distribution API. Never imports textual (a test checks)."""
