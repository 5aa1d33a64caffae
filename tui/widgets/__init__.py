"""Reusable Textual widgets for the Quarterdeck dashboard."""
