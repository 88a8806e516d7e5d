"""``solnode doctor`` against real ``solnode serve`` processes on loopback: healthy (only the
loopback WARN), a served key that is not the stored one, a stored key damaged though its public
half matches, a WebFinger that does not loop back, and a handle on a port that refuses."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from node.activitypub import keys
from tests.harness.nodes import NodeFactory, NodeProcess
from tests.harness.ports import free_port


def lines(output: str) -> dict[str, str]:
    """check name -> status, from the doctor's report."""
    found: dict[str, str] = {}
    for line in output.splitlines():
        status, _, rest = line.partition("  ")
        if status.strip() in ("OK", "WARN", "FAIL"):
            found[rest.strip().split(":")[0]] = status.strip()
    return found


def org_node(node_factory: NodeFactory, slug: str) -> NodeProcess:
    node = node_factory()
    node.cli("org", "create", slug, "--name", slug.title())
    return node


def test_a_healthy_loopback_node_only_warns_about_http(node_factory: NodeFactory) -> None:
    ours = org_node(node_factory, "riverside").start()
    theirs = org_node(node_factory, "hillside").start()
    result = ours.cli("doctor", "--handle", theirs.handle("hillside"), check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    statuses = lines(result.stdout)
    assert statuses.pop("public URL") == "WARN"
    assert set(statuses) == {
        "migrations",
        "WebFinger",
        "NodeInfo",
        "clock",
        "keys",
        "job queue",
        "dead jobs",
        "open circuits",
        "disk space",
        "remote server",
    }
    assert set(statuses.values()) == {"OK"}, result.stdout


def test_a_served_key_that_is_not_the_stored_one_fails(node_factory: NodeFactory) -> None:
    node = org_node(node_factory, "riverside")
    engine = create_engine(node.database_url)
    try:
        with engine.begin() as conn:  # the private key is replaced; the served one stays
            conn.execute(
                text("UPDATE local_actor SET rsa_private_pem = :pem WHERE slug = 'riverside'"),
                {"pem": keys.generate_rsa().private_pem},
            )
    finally:
        engine.dispose()
    node.start()
    result = node.cli("doctor", check=False)
    assert result.returncode == 1
    assert lines(result.stdout)["keys"] == "FAIL"
    assert "not riverside's private key" in result.stdout


def test_a_damaged_private_key_fails_though_its_public_half_matches(
    node_factory: NodeFactory,
) -> None:
    """Signing skips the check of the key's numbers (30 ms a key); the doctor makes it."""
    from tests.unit.test_private_key_loading import damaged_copy

    node = org_node(node_factory, "riverside")
    engine = create_engine(node.database_url)
    try:
        with engine.begin() as conn:
            pem = conn.execute(
                text("SELECT rsa_private_pem FROM local_actor WHERE slug = 'riverside'")
            ).scalar_one()
            conn.execute(
                text("UPDATE local_actor SET rsa_private_pem = :pem WHERE slug = 'riverside'"),
                {"pem": damaged_copy(pem)},
            )
    finally:
        engine.dispose()
    node.start()
    result = node.cli("doctor", check=False)
    assert result.returncode == 1
    assert lines(result.stdout)["keys"] == "FAIL"
    assert "riverside: not a PEM private key" in result.stdout
    assert "a private key in the database is damaged" in result.stdout


def test_a_webfinger_that_does_not_loop_back_fails(node_factory: NodeFactory) -> None:
    ours = org_node(node_factory, "riverside")
    other = org_node(node_factory, "hillside").start()
    # Our node's base URL names where another node is served.
    result = ours.cli("--base-url", other.base_url, "doctor", check=False)
    assert result.returncode == 1
    statuses = lines(result.stdout)
    assert statuses["WebFinger"] == "FAIL" and statuses["keys"] == "FAIL"


def test_a_handle_whose_server_refuses_fails(node_factory: NodeFactory) -> None:
    node = org_node(node_factory, "riverside").start()
    result = node.cli("doctor", "--handle", f"someone@127.0.0.1:{free_port()}", check=False)
    assert result.returncode == 1
    statuses = lines(result.stdout)
    assert statuses["remote server"] == "FAIL"
    assert statuses["clock"] == "WARN"  # no Date header from a server that does not answer
    assert statuses["WebFinger"] == "OK"


def test_a_node_that_is_not_served_fails(node_factory: NodeFactory) -> None:
    node = org_node(node_factory, "riverside")  # initialised, never started
    result = node.cli("doctor", check=False)
    assert result.returncode == 1
    statuses = lines(result.stdout)
    assert statuses["NodeInfo"] == statuses["WebFinger"] == statuses["keys"] == "FAIL"
    assert "is solnode serve running" in result.stdout
