"""The deployment files agree with the code they deploy (deploy/smoke.py runs them)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from deploy import smoke

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = (ROOT / "ftu" / "settings.py").read_text()
UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.service"))
NGINX = (ROOT / "deploy" / "nginx" / "ftu.conf").read_text()
HEADERS = (ROOT / "deploy" / "nginx" / "ftu-security-headers.conf").read_text()


def settings_variables() -> set[str]:
    pattern = r'(?:env\.\w+|os\.environ\.get|_required)\(\s*"([A-Z][A-Z0-9_]*)"'
    names = set(re.findall(pattern, SETTINGS))
    names |= set(re.findall(r'os\.environ\["([A-Z][A-Z0-9_]*)"\]', SETTINGS))
    # Set by pytest-xdist for its workers, never by an operator.
    return names - {"PYTEST_XDIST_WORKER"}


def test_the_settings_scan_finds_the_known_variables() -> None:
    found = settings_variables()
    assert {"SECRET_KEY", "DATABASE_URL", "CSRF_TRUSTED_ORIGINS", "PASSWORD_HASHERS"} <= found
    assert len(found) > 25


def test_the_env_template_lists_every_setting() -> None:
    missing = settings_variables() - smoke.template_keys()
    assert missing == set(), f"add to deploy/ftu.env.example: {sorted(missing)}"


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_units_are_hardened_and_run_as_ftu(unit: Path) -> None:
    text = unit.read_text()
    for line in (
        "User=ftu",
        "NoNewPrivileges=true",
        "ProtectSystem=strict",
        "PrivateTmp=true",
        "CapabilityBoundingSet=",
        "EnvironmentFile=/etc/ftu/ftu.env",
    ):
        assert f"\n{line}\n" in text, f"{unit.name} lacks {line}"
    for var in re.findall(r"\$\{([A-Z0-9_]+)\}", text):
        assert var in smoke.template_keys(), f"{unit.name} uses ${{{var}}}, not in the template"


def test_tiers_run_the_right_applications() -> None:
    env = dict.fromkeys(smoke.template_keys(), "x")
    paths = {"/srv/ftu": "/here"}
    web = smoke.command_of(ROOT / "deploy/systemd/ftu-web.service", env, paths)
    ws = smoke.command_of(ROOT / "deploy/systemd/ftu-ws.service", env, paths)
    assert web[:2] == ["/here/.venv/bin/gunicorn", "ftu.wsgi:application"]
    assert ws[:2] == ["/here/.venv/bin/uvicorn", "ftu.asgi:application"]


def test_nginx_headers_match_the_production_settings(settings: Any) -> None:
    headers = dict(re.findall(r'^add_header ([A-Za-z-]+) "([^"]+)" always;$', HEADERS, re.M))
    # HSTS is set only with FTU_ENV=production: read it from the module's source.
    assert "SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365" in SETTINGS
    assert "SECURE_HSTS_INCLUDE_SUBDOMAINS = True" in SETTINGS
    assert "SECURE_HSTS_PRELOAD = True" in SETTINGS
    hsts = f"max-age={60 * 60 * 24 * 365}; includeSubDomains; preload"
    assert headers["Strict-Transport-Security"] == hsts
    assert headers["X-Frame-Options"] == settings.X_FRAME_OPTIONS
    assert headers["Referrer-Policy"] == settings.SECURE_REFERRER_POLICY
    assert headers["Cross-Origin-Opener-Policy"] == settings.SECURE_CROSS_ORIGIN_OPENER_POLICY
    assert settings.SECURE_CONTENT_TYPE_NOSNIFF and headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_nginx_limits_and_routes(settings: Any) -> None:
    size = re.search(r"client_max_body_size (\d+)m;", NGINX)
    assert size and int(size.group(1)) * 1024 * 1024 == settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert "server_tokens off;" in NGINX
    ws = NGINX.split("location /ws/ {", 1)[1].split("}", 1)[0]
    assert "proxy_pass http://ftu_ws;" in ws
    assert "proxy_set_header Upgrade $http_upgrade;" in ws
    assert "proxy_set_header Connection $connection_upgrade;" in ws
    assert "location = /metrics { return 404; }" in NGINX
    assert "alias /srv/ftu/staticfiles/;" in NGINX
    assert "immutable" in NGINX
    # Proxied locations add no headers of their own (Django sends them; no duplicates).
    for block in ("location /ws/ {", "location / {"):
        body = NGINX.split(block, 1)[1].split("}", 1)[0]
        assert "add_header" not in body and "include" not in body


SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


@pytest.mark.skipif(not SYSTEMD_ANALYZE, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_units_and_scores_them_well(tmp_path: Path) -> None:
    """Unknown or misspelt keys are reported by systemd-analyze verify (and would be ignored
    silently by systemd, e.g. a hardening directive with a typo)."""
    units = [*UNITS, *sorted((ROOT / "deploy" / "systemd").glob("*.timer"))]
    for unit in units:
        # verify checks that ExecStart's program exists: stand in /bin/true for the venv.
        text = re.sub(r"/srv/ftu/\.venv/bin/\w+", "/bin/true", unit.read_text())
        (tmp_path / unit.name).write_text(text)
    names = [str(tmp_path / u.name) for u in units]
    verify = subprocess.run(  # noqa: S603
        [SYSTEMD_ANALYZE, "verify", *names], capture_output=True, text=True, timeout=120
    )
    problems = [
        line
        for line in (verify.stdout + verify.stderr).splitlines()
        if str(tmp_path) in line  # messages about our units (not about the host's)
    ]
    assert problems == [], problems
    for unit in UNITS:
        if unit.name == "ftu-backup.service":
            continue  # a oneshot; same directives
        security = subprocess.run(  # noqa: S603
            [SYSTEMD_ANALYZE, "security", "--offline=true", str(tmp_path / unit.name)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", security.stdout)
        if match is None:
            pytest.skip("this systemd-analyze cannot score units offline")
        assert float(match.group(1)) <= 2.5, f"{unit.name}: {match.group(0)}"
