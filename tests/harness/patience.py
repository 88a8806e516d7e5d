"""How long the harness waits for something to happen.

A wait is not a speed test: it only has to end once the thing happened. CI runs the suite in
several processes on a small machine, where a node process or a Fedify peer can take many
times longer than on an idle laptop, so every wait of the harness (``wait_until``, a process's
line or HTTP readiness, the Fedify peer's inbox) is multiplied by ``SOLNODE_TEST_PATIENCE``
(default 3). A test that passes is never slowed by it; one that fails reports a little later.
"""

from __future__ import annotations

import os

PATIENCE = float(os.environ.get("SOLNODE_TEST_PATIENCE", "3"))


def patient(seconds: float) -> float:
    """``seconds`` of waiting, stretched for a loaded machine."""
    return seconds * PATIENCE
