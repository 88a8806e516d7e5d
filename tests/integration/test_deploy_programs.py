"""The programs an operator runs accept the files in deploy/: Caddy its Caddyfile, systemd
its units, nginx the sample site. `make system-deps` installs the three programs
(tools/ensure-system-packages.sh); a missing one fails here with that hint, never a skip."""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.unit.deploy_support import DEPLOY, ROOT

ENSURE = ROOT / "tools" / "ensure-system-packages.sh"
SOLNODE = Path(sys.executable).with_name("solnode")


def _program(name: str) -> str:
    found = shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    assert found, f"{name} is not installed: run `make system-deps`"
    return found


def _run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False, **kwargs)  # type: ignore[call-overload, no-any-return]


def test_caddy_validates_the_caddyfile(tmp_path: Path) -> None:
    # HOME and XDG dirs point at tmp_path: validate may write Caddy's storage, never ours.
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "SOLNODE_BASE_URL": "https://node.example.org",  # compose.yaml gives it to caddy
    }
    config = ["--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"]
    result = _run([_program("caddy"), "validate", *config], env=env)
    assert result.returncode == 0, result.stderr
    assert "Valid configuration" in result.stdout + result.stderr
    # Without the base URL the site address is empty and Caddy refuses the file.
    env.pop("SOLNODE_BASE_URL")
    assert _run([_program("caddy"), "validate", *config], env=env).returncode != 0


def _systemd_root(tmp_path: Path) -> Path:
    """A root directory as systemd-analyze --root sees it: the host's stock units (for
    multi-user.target and friends), ours, and the solnode command where the units run it."""
    root = tmp_path / "root"
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    units = root / "etc/systemd/system"
    units.mkdir(parents=True)
    for unit in (DEPLOY / "systemd").glob("*.service"):
        shutil.copy(unit, units / unit.name)
    venv_bin = root / "srv/solnode/.venv/bin"
    venv_bin.mkdir(parents=True)
    shutil.copy(SOLNODE, venv_bin / "solnode")  # the real entry point script, executable
    shutil.copy(DEPLOY / ".env.example", root / "etc/solnode.env")
    return root


def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    root = _systemd_root(tmp_path)
    units = ["solnode.service", "solnode-web.service", "solnode-worker@1.service"]
    result = _run([_program("systemd-analyze"), "verify", f"--root={root}", *units])
    # verify exits 0 on an unknown key or a bad value but says so: any word is a failure.
    assert (result.returncode, result.stderr.strip()) == (0, "")


def test_systemd_analyze_notices_a_broken_unit(tmp_path: Path) -> None:
    root = _systemd_root(tmp_path)
    unit = root / "etc/systemd/system/solnode.service"
    unit.write_text(unit.read_text().replace("Restart=always", "Restrt=always"))
    result = _run([_program("systemd-analyze"), "verify", f"--root={root}", "solnode.service"])
    assert "Unknown key" in result.stderr


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "node.example.org")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_nginx_accepts_the_sample_site(tmp_path: Path) -> None:
    # nginx -t opens the certificates: the sample's Let's Encrypt paths get a test certificate.
    cert, key = _self_signed(tmp_path)
    site = (DEPLOY / "nginx" / "solnode.conf").read_text()
    live = "/etc/letsencrypt/live/node.example.org/"
    assert live + "fullchain.pem" in site and live + "privkey.pem" in site
    site = site.replace(live + "fullchain.pem", str(cert)).replace(live + "privkey.pem", str(key))
    (tmp_path / "solnode.conf").write_text(site)
    # The nginx.conf around it, as Debian's includes sites-enabled/* inside http {}.
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\n"
        "events {}\n"
        f"http {{\n    access_log off;\n    include {tmp_path}/solnode.conf;\n}}\n"
    )
    argv = [_program("nginx"), "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")]
    result = _run([*argv, "-e", str(tmp_path / "error.log")])
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_ensure_system_packages_is_silent_when_everything_is_there() -> None:
    result = _run(["sh", str(ENSURE), "sh:dash", "env:coreutils"])
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_ensure_system_packages_refuses_a_malformed_argument() -> None:
    result = _run(["sh", str(ENSURE), "caddy"])
    assert result.returncode == 2
    assert "'caddy' is not PROGRAM:PACKAGE" in result.stderr


def test_ensure_system_packages_tells_a_non_root_user_what_to_install() -> None:
    argv = ["sh", str(ENSURE), "no-such-program-here:no-such-package", "sh:dash"]
    if os.geteuid() == 0:  # as root the script would install: run it as nobody instead
        argv = [_program("setpriv"), "--reuid=65534", "--regid=65534", "--clear-groups", *argv]
    result = _run(argv)
    assert result.returncode == 1
    if shutil.which("apt-get"):
        assert "sudo apt-get install -y no-such-package" in result.stderr
    else:
        assert "missing no-such-package" in result.stderr


def test_caddy_validates_the_caddyfile_of_the_install_guide(tmp_path: Path) -> None:
    guide = (ROOT / "docs" / "install.md").read_text()
    blocks = re.findall(r"```caddyfile\n(.*?)```", guide, re.DOTALL)
    assert blocks, "docs/install.md shows a Caddyfile for bare metal"
    for i, block in enumerate(blocks):
        config = tmp_path / f"Caddyfile{i}"
        config.write_text(textwrap.dedent(block))
        env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
        argv = [_program("caddy"), "validate", "--config", str(config), "--adapter", "caddyfile"]
        result = _run(argv, env=env)
        assert result.returncode == 0, result.stderr


def test_make_pytest_installs_the_system_programs_first() -> None:
    make = shutil.which("make")
    assert make, "make is not installed"
    # -o: the venv's stamp counts as made (never remade, even if missing), so -n prints only
    # the two commands. (Not STAMP=Makefile: make runs the recipes that remake a makefile even
    # under -n, which would install the venv whenever pyproject.toml is newer than Makefile.)
    result = _run([make, "-n", "-o", ".venv/.installed", "pytest"], cwd=ROOT)
    # Under `make test` (CI) the outer make's flags add "make[1]: Entering directory" lines.
    lines = [line for line in result.stdout.splitlines() if not line.startswith("make[")]
    assert result.returncode == 0, result.stderr
    assert "tools/ensure-system-packages.sh" in lines[0]
    for pair in ("caddy:caddy", "nginx:nginx-light", "systemd-analyze:systemd"):
        assert pair in lines[0]
    assert "pytest" in lines[-1]
