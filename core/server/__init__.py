"""The HTTP server: ito's API (and Quarterdeck's additions) over the local backend."""
