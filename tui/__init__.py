"""Quarterdeck's Textual dashboard. It calls only `core.service.Service`."""
