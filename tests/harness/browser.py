"""A real headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by Playwright,
axe-core injected from tests/browser/node_modules, and screenshots kept as test artifacts.

`make test` installs Chromium (tools/ensure-system-packages.sh) and axe-core (npm ci) when they
are missing; here a missing one is an error that names the command, never a skip.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("SOLNODE_TEST_CHROMIUM", "/usr/bin/chromium")
AXE_JS = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(os.environ.get("SOLNODE_TEST_ARTIFACTS", ROOT / "test-artifacts"))

# As the machine's own probe starts it: no sandbox (root in a container), and none of Chromium's
# background connections, which this machine's closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

# What a page may not have: axe-core's two worst levels.
BLOCKING_IMPACTS = ("serious", "critical")


def require_browser_parts() -> None:
    """Fail with the command to run when Chromium or axe-core is missing."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(
            f"Chromium is not at {CHROMIUM}: run `make test` (it installs it as root on "
            "Debian/Ubuntu) or `sudo apt-get install -y chromium chromium-driver`"
        )
    if not AXE_JS.exists():
        raise RuntimeError(
            f"axe-core is not at {AXE_JS}: run `make test` or `npm ci --prefix tests/browser`"
        )


def launch(playwright: Any) -> Browser:
    require_browser_parts()
    browser: Browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    return browser


@dataclass
class Shots:
    """Numbered screenshots of one test, under test-artifacts/screenshots/<test name>/."""

    folder: Path
    count: int = 0
    taken: list[Path] = field(default_factory=list)

    def take(self, page: Page, step: str, *, full_page: bool = True) -> Path:
        self.count += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-")
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        self.taken.append(path)
        return path


def shots_for(test_name: str) -> Shots:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)
    return Shots(ARTIFACTS / "screenshots" / safe)


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.impact}: {self.rule} ({self.help}) at {', '.join(self.targets[:5])}"


def axe_violations(page: Page, *, impacts: tuple[str, ...] = BLOCKING_IMPACTS) -> list[Violation]:
    """Run axe-core (WCAG 2 A and AA rules, and best practices) on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated over the DevTools protocol, which the page's Content-Security-Policy (no
        # inline scripts) does not govern, so the pages are tested with their real CSP on.
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact || '', help: v.help,
                targets: v.nodes.map(n => n.target.join(' ')),
            }));
        }"""
    )
    return [
        Violation(v["id"], v["impact"], v["help"], tuple(v["targets"]))
        for v in result
        if v["impact"] in impacts
    ]


def assert_accessible(page: Page, what: str = "") -> None:
    found = axe_violations(page)
    label = what or page.url
    assert not found, f"axe-core on {label}:\n" + "\n".join(str(v) for v in found)
