"""aivcs's cross-repo release sequencing: graph, plans, releasers and the sequencer."""
