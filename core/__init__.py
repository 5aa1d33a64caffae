"""Quarterdeck's headless core: models, rules, backends and the service façade.

Nothing in this package imports Textual (an import-linter contract checks it): the CLI twin
and the HTTP server run on it alone.
"""

__version__ = "0.1.0"
