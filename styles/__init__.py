"""Textual CSS for the dashboard (shipped inside the wheel as package data)."""

from pathlib import Path

STYLES = Path(__file__).resolve().parent
