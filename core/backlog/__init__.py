"""aristo's deferred review backlog: the TOML store and the durable review decisions."""
