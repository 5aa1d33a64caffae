"""Textual CSS for the dashboard (shipped inside the wheel as package data)."""
