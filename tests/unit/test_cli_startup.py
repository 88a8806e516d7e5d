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


# What a serving process must not carry (bench/bench_memory.py, docs/benchmarks.md "Memory"):
# Alembic and Mako only migrate (the start check reads the version table and the scripts' names);
# pyld (and lxml) load with the first LD signature made or checked; requests would come with
# pyld's default document loader, which the node never uses; lxml serves only pyld's HTML path
# (node/activitypub/pyld_offline.py), which the offline loader never takes.
NOT_SERVED = ("alembic", "mako", "pyld", "lxml", "PIL", "requests", "urllib3", "websockets")
NEVER = ("requests", "urllib3", "charset_normalizer", "lxml")


def test_the_web_application_loads_no_migration_tool_json_ld_or_second_http_client() -> None:
    probe = (
        "import sys\n"
        "from node.app import create_app\n"
        "from node.cli.http_server import deadline_protocol\n"
        f"print(','.join(m for m in {NOT_SERVED!r} if m in sys.modules))\n"
        "from node.activitypub import jsonld, ldsig\n"
        f"print(','.join(m for m in {NEVER!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    served, with_json_ld = result.stdout.split("\n")[:2]
    assert served == "", f"loaded by the web application: {served}"
    assert with_json_ld == "", f"loaded with pyld: {with_json_ld}"


def test_pyld_still_reads_json_ld_out_of_html_once_lxml_loads_at_that_first_use() -> None:
    probe = (
        "import sys\n"
        "from node.activitypub.pyld_offline import pyld_jsonld\n"
        "print('lxml' in sys.modules)\n"
        "page = '<html><head><script type=\"application/ld+json\">'\n"
        'page += \'{"@id": "https://example.org/a"}</script></head></html>\'\n'
        "print(pyld_jsonld.load_html(page, 'https://example.org/', None, {}))\n"
        "print(type(sys.modules['lxml.html'].fromstring('<p>x</p>')).__module__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    before, document, element = result.stdout.strip().split("\n")
    assert before == "False"
    assert document == "{'@id': 'https://example.org/a'}"
    assert element == "lxml.html"
