"""Pydantic models, one module per domain, and the typed errors (errors.py)."""
