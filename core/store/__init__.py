"""The embedded SQLite store (`.quarterdeck/state.db`): leases, allocation keys, release
plans, runs and run events, shared safely by every process on one machine (WAL mode)."""
