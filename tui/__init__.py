"""Quarterdeck's Textual dashboard. It calls only `core.service.Service`."""

import os

# Textual paints on a fixed grid of 1/TEXTUAL_FPS seconds, so an update waits for the next
# grid point: at Textual's 60 that is up to 16.7 ms between a key and its frame before any
# drawing (a 100,000-row table's cursor p95 was 16-18 ms). 120 halves the wait; a dashboard
# with nothing changing draws nothing either way. A TEXTUAL_FPS the user set wins.
# Set on importing this package: Textual reads it once, when it is first imported.
FRAME_RATE = 120
os.environ.setdefault("TEXTUAL_FPS", str(FRAME_RATE))
