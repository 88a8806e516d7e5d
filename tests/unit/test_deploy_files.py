"""The files in deploy/ say what a running node can do: the compose file is valid Compose,
every command it (and the Dockerfile, and the systemd units) runs is a real `solnode`
command, every SOLNODE_* variable is a real setting, and the values of .env.example load.

The programs themselves (caddy, nginx, systemd-analyze) check their files in
tests/integration/test_deploy_programs.py; no docker engine runs here, so the image is
checked by reading the Dockerfile."""

from __future__ import annotations

import ipaddress
import json
import re
import shlex
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from node.settings import load_settings
from tests.unit.deploy_support import (
    DEPLOY,
    ROOT,
    compose_document,
    dockerfile_stages,
    interpolate,
    parse_solnode,
    read_env_file,
    read_unit,
    setting_names,
)

SCHEMA = ROOT / "tests" / "fixtures" / "compose-spec" / "compose-spec.json"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
ENV_EXAMPLE = read_env_file(DEPLOY / ".env.example")


def _node_services(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services that run the node's image (built from deploy/Dockerfile)."""
    return {name: s for name, s in document["services"].items() if "build" in s}


def _dockerfile_cmd() -> list[str]:
    final = dockerfile_stages(DEPLOY / "Dockerfile")[-1]
    cmd = [args for instruction, args in final if instruction == "CMD"]
    assert len(cmd) == 1, "the final stage has one CMD"
    parsed = json.loads(cmd[0])
    assert isinstance(parsed, list), "CMD in exec form (a JSON list), so signals reach solnode"
    return [str(a) for a in parsed]


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    schema = json.loads(SCHEMA.read_text())
    # Interpolated as compose does, with the example values, then checked as compose checks it.
    document = yaml.safe_load(interpolate((DEPLOY / "compose.yaml").read_text(), ENV_EXAMPLE))
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in jsonschema.Draft7Validator(schema).iter_errors(document)
    ]
    assert errors == []


def test_compose_refuses_to_start_without_the_required_settings() -> None:
    without_base_url = {k: v for k, v in ENV_EXAMPLE.items() if k != "SOLNODE_BASE_URL"}
    with pytest.raises(AssertionError, match="SOLNODE_BASE_URL"):
        interpolate((DEPLOY / "compose.yaml").read_text(), without_base_url)


def test_compose_runs_postgresql_web_processes_workers_and_caddy() -> None:
    services = compose_document()["services"]
    commands: dict[str, list[str]] = {
        name: s.get("command") or [] for name, s in _node_services(compose_document()).items()
    }
    webs = [n for n, c in commands.items() if c and c[1] == "serve"]
    workers = [n for n, c in commands.items() if c and c[1] == "worker"]
    assert len(webs) >= 2 and len(workers) >= 2
    for name in webs:
        assert "--no-worker" in commands[name], f"{name}: jobs belong to the worker services"
    assert services["db"]["image"].startswith("postgres:")
    assert services["caddy"]["image"].startswith("caddy:")
    assert {"80:80", "443:443"} <= set(services["caddy"]["ports"])


def test_every_command_in_compose_is_a_real_solnode_command() -> None:
    for name, service in _node_services(compose_document()).items():
        parse_solnode(service.get("command") or _dockerfile_cmd())
        healthcheck = service.get("healthcheck", {}).get("test")
        if healthcheck:
            assert "/readyz" in " ".join(healthcheck) or "/healthz" in " ".join(healthcheck), name


def test_compose_settings_are_real_settings_and_load() -> None:
    document = compose_document()
    services = document["services"]
    for name, service in _node_services(document).items():
        environment = {k: str(v) for k, v in service["environment"].items()}
        unknown = {k for k in environment if k.startswith("SOLNODE_")} - setting_names()
        assert not unknown, f"{name} sets no-such settings {unknown}"
        assert environment.get("MALLOC_ARENA_MAX") == "2", f"{name}: two malloc arenas"
        env = {k: interpolate(v, ENV_EXAMPLE) for k, v in environment.items()}
        settings = load_settings(env)  # a bad value raises ConfigError naming it
        assert settings.database_url.startswith("postgresql+psycopg://solnode:")
        assert settings.base_url == ENV_EXAMPLE["SOLNODE_BASE_URL"]
    # Every service a node service waits for exists.
    for name, service in services.items():
        assert set(service.get("depends_on", {})) <= set(services), name


def test_compose_trusts_exactly_its_own_network_as_proxy() -> None:
    document = compose_document()
    subnets = [
        ipaddress.ip_network(c["subnet"]) for c in document["networks"]["default"]["ipam"]["config"]
    ]
    for name, service in _node_services(document).items():
        trusted = load_settings(
            {"SOLNODE_TRUSTED_PROXIES": service["environment"]["SOLNODE_TRUSTED_PROXIES"]}
        ).trusted_proxies
        assert [ipaddress.ip_network(t) for t in trusted] == subnets, name


def test_caddy_proxies_to_the_web_services_of_compose() -> None:
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    upstreams = re.search(r"reverse_proxy\s+([^{\n]+)", caddyfile)
    assert upstreams
    services = _node_services(compose_document())
    for upstream in upstreams.group(1).split():
        host, _, port = upstream.partition(":")
        command = services[host]["command"]
        assert command[1] == "serve" and command[command.index("--port") + 1] == port
    # The site address is the node's base URL, so Caddy's certificate and the ids agree.
    assert "{$SOLNODE_BASE_URL}" in caddyfile
    caddy_env = compose_document()["services"]["caddy"]["environment"]
    assert "SOLNODE_BASE_URL" in caddy_env


def test_env_example_names_only_real_settings_and_its_values_load() -> None:
    names = {k for k in ENV_EXAMPLE if k.startswith("SOLNODE_")}
    assert names - setting_names() == set()
    settings = load_settings({k: v for k, v in ENV_EXAMPLE.items() if k in names})
    assert settings.base_url.startswith("https://")
    assert settings.secret_key


@pytest.mark.parametrize("unit", UNITS, ids=[u.name for u in UNITS])
def test_systemd_unit_runs_a_real_solnode_command(unit: Path) -> None:
    parsed = read_unit(unit)
    assert {"Unit", "Service", "Install"} <= set(parsed.sections())
    service = parsed["Service"]
    argv = shlex.split(service["ExecStart"])
    assert argv[0].startswith("/"), "systemd needs an absolute ExecStart path"
    parse_solnode(argv)
    assert service["User"] != "root"
    assert service["EnvironmentFile"] == "/etc/solnode.env"
    # The settings the unit sets itself, with the example file's, load.
    env = dict(v.split("=", 1) for v in shlex.split(service.get("Environment", "")))
    assert env.pop("MALLOC_ARENA_MAX") == "2", "two malloc arenas (docs/benchmarks.md, Memory)"
    assert set(env) <= setting_names()
    load_settings({**{k: v for k, v in ENV_EXAMPLE.items() if k.startswith("SOLNODE_")}, **env})


def test_systemd_units_cover_sqlite_and_postgresql() -> None:
    commands = {u.name: shlex.split(read_unit(u)["Service"]["ExecStart"])[1:] for u in UNITS}
    # One SQLite process serves and works; on PostgreSQL web and workers are separate.
    assert (
        commands["solnode.service"][0] == "serve"
        and "--no-worker" not in commands["solnode.service"]
    )
    assert "--no-worker" in commands["solnode-web.service"]
    assert commands["solnode-worker@.service"] == ["worker"]


def test_dockerfile_builds_a_slim_non_root_image_without_build_tools() -> None:
    stages = dockerfile_stages(DEPLOY / "Dockerfile")
    for stage in stages:
        base = stage[0][1].split()[0]
        assert re.search(r"-slim\b", base), f"{base} is not a slim base image"
    final = stages[-1]
    users = [args for instruction, args in final if instruction == "USER"]
    assert users and users[-1] not in {"root", "0"}, "the node runs as a non-root user"
    last_run = max(i for i, (instruction, _) in enumerate(final) if instruction == "RUN")
    assert last_run < [i for i, (ins, _) in enumerate(final) if ins == "USER"][-1]
    runs = " ".join(args for instruction, args in final if instruction == "RUN")
    for tool in ("gcc", "build-essential", "pip install", "apt-get install", "make "):
        assert tool not in runs, f"the final image installs {tool}"
    for instruction, args in (i for stage in stages for i in stage):
        if instruction == "COPY" and "--from=" not in args:
            for source in args.split()[:-1]:
                assert (ROOT / source).exists(), f"COPY {source}: no such file in the repository"
    parse_solnode(_dockerfile_cmd())
