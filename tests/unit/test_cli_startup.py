"""`solnode` starts without loading the web stack, the HTTP client or the features' services."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("aiohttp", "starlette", "pyld", "icalendar", "uvicorn", "node.wiring", "node.app")


def test_the_command_line_loads_no_web_stack_until_a_command_needs_it() -> None:
    probe = (
        "import sys, node.cli\n"
        "from node.cli.parser import build_parser\n"
        "build_parser()\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"loaded at start-up: {result.stdout.strip()}"
