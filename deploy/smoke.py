#!/usr/bin/env python3
"""Prove the deployment files are not stale: run the production stack from them, here.

It reads the ``ExecStart=`` and ``Environment=`` lines of deploy/systemd/ftu-*.service,
maps the install paths onto this checkout (/srv/ftu -> here, /run, /var/lib, /etc -> a
temporary directory), and starts gunicorn (WSGI pages), uvicorn (ASGI websockets), the
Celery worker and Celery beat on free loopback ports with FTU_ENV=production against the
local PostgreSQL (a throwaway database) and Redis (own key prefix).  It then talks to the
tiers the way nginx does (``Host``, ``X-Forwarded-Proto: https``, ``X-Real-IP``), so
production's redirects, ``__Host-`` cookies, CSRF origin checks and MFA all stay on; then,
where nginx is installed, it runs deploy/nginx/ftu.conf itself (ports, paths and a
throwaway self-signed certificate substituted — the only local override) and logs in
through TLS and the proxy.

Each check is one function in STEPS.  A check that cannot run here reports NOT RUN with
the reason (never a pass): e.g. the clock-sync check where chrony is not installed.

    .venv/bin/python deploy/smoke.py            # used by .ci/run after the PostgreSQL suite
    SMOKE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
    SMOKE_REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python deploy/smoke.py --keep-logs
"""

from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import hmac
import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNITS = ROOT / "deploy" / "systemd"
HOST = "ftu-smoke.test"  # ALLOWED_HOSTS for the run; never resolved, sent as Host only
ORIGIN = f"https://{HOST}"
PASSWORD = secrets.token_urlsafe(18)


# --- unit files ---------------------------------------------------------------------------
def unit_values(unit: Path, key: str) -> list[str]:
    """Every value of ``key=`` in the [Service] section (continuation lines joined)."""
    values, section, pending = [], "", ""
    for raw in unit.read_text().splitlines():
        line = pending + raw.strip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if line.startswith("["):
            section = line
        elif section == "[Service]" and line.startswith(f"{key}="):
            values.append(line[len(key) + 1 :])
    return values


def substitute(word: str, env: dict[str, str], paths: dict[str, str]) -> str:
    """systemd's ${VAR} and %H, then the install paths mapped onto this machine."""

    def var(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise SystemExit(f"unit file uses ${{{name}}}, which the env template lacks")
        return env[name]

    word = re.sub(r"\$\{([A-Z0-9_]+)\}", var, word).replace("%H", socket.gethostname())
    for install, local in sorted(paths.items(), key=lambda kv: -len(kv[0])):
        if word == install or word.startswith(install + "/"):
            return local + word[len(install) :]
    return word


def command_of(unit: Path, env: dict[str, str], paths: dict[str, str]) -> list[str]:
    lines = unit_values(unit, "ExecStart")
    if len(lines) != 1:
        raise SystemExit(f"{unit.name}: expected exactly one ExecStart= line")
    return [substitute(w, env, paths) for w in shlex.split(lines[0].lstrip("-@+!"))]


def environment_of(unit: Path, env: dict[str, str], paths: dict[str, str]) -> dict[str, str]:
    out = {}
    for line in unit_values(unit, "Environment"):
        for item in shlex.split(line):
            key, _, value = item.partition("=")
            out[key] = substitute(value, env, paths)
    return out


def template_keys() -> set[str]:
    text = (ROOT / "deploy" / "ftu.env.example").read_text()
    return set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))


# --- small HTTP/websocket clients that behave like nginx in front -----------------------
@dataclass
class Browser:
    """Talks to a tier directly, adding what nginx adds; or, with ``tls``, to nginx itself."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    tls: ssl.SSLContext | None = None
    raw_headers: list[tuple[str, str]] = field(default_factory=list)

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        headers = {"Host": HOST, "User-Agent": "ftu-smoke/1"}
        if self.tls is not None:
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                "127.0.0.1", self.port, timeout=15, context=self.tls
            )
            headers["X-Real-IP"] = "203.0.113.66"  # nginx must overwrite this
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
            headers.update({"X-Forwarded-Proto": "https", "X-Real-IP": "192.0.2.10"})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = ORIGIN
            headers["Referer"] = ORIGIN + path
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        self.raw_headers = resp.getheaders()
        for name, value in self.raw_headers:
            if name.lower() == "set-cookie":
                cookie, _, attrs = value.partition(";")
                key, _, val = cookie.partition("=")
                if "max-age=0" in attrs.lower() or val in ("", '""'):
                    self.cookies.pop(key.strip(), None)  # a deletion
                    continue
                if "secure" not in attrs.lower():
                    raise Failed(f"cookie {key} is not Secure in production")
                self.cookies[key.strip()] = val.strip()
        conn.close()
        return resp.status, {k.lower(): v for k, v in self.raw_headers}, text

    def count(self, header: str) -> int:
        return sum(1 for name, _ in self.raw_headers if name.lower() == header.lower())

    def form_token(self, html: str) -> str:
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        if not match:
            raise Failed("no CSRF token in the form")
        return match.group(1)


def totp(secret: str, at: float | None = None, digits: int = 6, period: int = 30) -> str:
    """RFC 6238 (SHA-1), as allauth's authenticator apps compute it."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((at or time.time()) // period)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


# --- the stack ----------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Stack:
    tmp: Path
    env: dict[str, str]
    paths: dict[str, str]
    web_port: int
    ws_port: int
    admin_url: str
    db_name: str
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    accounts: list[tuple[str, str]] = field(default_factory=list)  # (e-mail, TOTP secret)
    nginx_ports: tuple[int, int] = (0, 0)  # (http, https)
    websocket_routes: int = 0
    browser: Browser | None = None  # logged in by step_login (the convenor), reused after

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        t0 = time.monotonic()
        try:
            return self._manage(*args, check=check)
        finally:
            print(f"   manage.py {args[0]}: {time.monotonic() - t0:.1f} s")

    def _manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check and result.returncode != 0:
            raise Failed(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result

    def start(self, name: str) -> None:
        unit = UNITS / f"ftu-{name}.service"
        env = {**self.env, **environment_of(unit, self.env, self.paths)}
        for value in env.values():
            if value.startswith(str(self.tmp / "run")):
                Path(value).mkdir(parents=True, exist_ok=True)
        cmd = command_of(unit, self.env, self.paths)
        log = open(self.tmp / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        self.procs[name] = subprocess.Popen(  # noqa: S603 - from our own unit file
            cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        print(f"   started {name}: {' '.join(cmd)}")

    def alive(self, name: str) -> None:
        proc = self.procs[name]
        if proc.poll() is not None:
            raise Failed(f"{name} exited with {proc.returncode}:\n{self.log_tail(name)}")

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.tmp / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def wait_http(self, name: str, port: int, path: str = "/healthz", timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.alive(name)
            try:
                status, _, _ = Browser(port).request("GET", path)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise Failed(f"{name} did not answer {path} in {timeout:g} s:\n{self.log_tail(name)}")

    def stop(self) -> None:
        for proc in reversed(list(self.procs.values())):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for name, proc in self.procs.items():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                print(f"   {name} ignored SIGTERM for 20 s: killing it")
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def admin_sql(admin_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql)


def prepare(args: argparse.Namespace) -> Stack:
    tmp = Path(tempfile.mkdtemp(prefix="ftu-smoke-"))
    tag = f"{os.getpid()}_{secrets.token_hex(3)}"
    db_name = f"ftu_smoke_{tag}"
    admin_url = args.database_url
    parts = urllib.parse.urlsplit(admin_url)
    database_url = urllib.parse.urlunsplit(parts._replace(path="/" + db_name))
    from cryptography.fernet import Fernet

    web_port, ws_port, worker_metrics = free_port(), free_port(), free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FTU_", "DJANGO_", "CELERY_", "PROMETHEUS_"))
        and k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "FIELD_ENCRYPTION_KEYS"}
    }
    env.update(
        {
            "FTU_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": HOST,
            "DATABASE_URL": database_url,
            "REDIS_URL": args.redis_url,
            "FTU_CHANNEL_PREFIX": f"smoke{tag}",
            "EMAIL_URL": "consolemail://",
            "FTU_DATA_DIR": str(tmp / "data"),
            "FTU_MEDIA_ROOT": str(tmp / "data" / "uploads"),
            "FTU_TRUSTED_PROXIES": "127.0.0.1,::1",
            "FTU_METRICS_ALLOWED_IPS": "192.0.2.10",  # the address our "nginx" forwards
            "FTU_METRICS_WORKER_ADDR": f"127.0.0.1:{worker_metrics}",
            "DB_POOL_MAX": "4",
            "LOG_LEVEL": "WARNING",
            # unit-file variables
            "FTU_WEB_BIND": f"127.0.0.1:{web_port}",
            "FTU_WEB_WORKERS": "2",
            "FTU_WS_HOST": "127.0.0.1",
            "FTU_WS_PORT": str(ws_port),
            "FTU_WS_WORKERS": "1",
            "FTU_WORKER_CONCURRENCY": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    missing = sorted(k for k in env if k.startswith("FTU_") and k not in template_keys())
    if missing:
        raise SystemExit(f"deploy/ftu.env.example lacks {missing}")
    paths = {
        "/srv/ftu": str(ROOT),
        "/run": str(tmp / "run"),
        "/var/lib/ftu": str(tmp / "data"),
        "/var/lib/ftu-beat": str(tmp / "beat"),
        "/etc/ftu": str(tmp / "etc"),
    }
    for sub in ("run", "data", "beat", "etc"):
        (tmp / sub).mkdir()
    return Stack(tmp, env, paths, web_port, ws_port, admin_url, db_name)


# --- nginx in front (when nginx is installed) ----------------------------------------------
def self_signed(directory: Path) -> None:
    """A throwaway certificate for HOST (the test's only stand-in for the real one)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def nginx_site(stack: Stack, http_port: int, https_port: int) -> str:
    """deploy/nginx/ftu.conf with this machine's ports, paths and host name."""
    site = (ROOT / "deploy" / "nginx" / "ftu.conf").read_text()
    tmp = stack.tmp / "nginx"
    replacements = [
        ("server 127.0.0.1:8001 ", f"server 127.0.0.1:{stack.web_port} "),
        ("server 127.0.0.1:8002 ", f"server 127.0.0.1:{stack.ws_port} "),
        ("listen [::]:80;", ""),
        ("listen [::]:443 ssl http2;", ""),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("ftu.example.gov.in", HOST),
        ("/etc/ssl/ftu/", f"{tmp}/ssl/"),
        ("/etc/nginx/snippets/", f"{ROOT}/deploy/nginx/"),
        ("/var/log/nginx/", f"{tmp}/"),
        ("/var/www/acme", f"{tmp}/acme"),
        ("/srv/ftu/", f"{ROOT}/"),
        ("ssl_stapling on;", "ssl_stapling off;"),  # no OCSP for a self-signed certificate
        ("ssl_stapling_verify on;", "ssl_stapling_verify off;"),
    ]
    for old, new in replacements:
        if old not in site:
            raise Failed(f"deploy/nginx/ftu.conf no longer contains {old!r}")
        site = site.replace(old, new)
    return site


def step_nginx(stack: Stack) -> str:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if not nginx:
        raise NotRun("nginx is not installed on this machine")
    tmp = stack.tmp / "nginx"
    self_signed(tmp / "ssl")
    http_port, https_port = free_port(), free_port()
    stack.nginx_ports = (http_port, https_port)
    (tmp / "ftu.conf").write_text(nginx_site(stack, http_port, https_port))
    temp_paths = "".join(
        f"    {kind}_temp_path {tmp}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp / "nginx.conf").write_text(
        f"pid {tmp}/nginx.pid;\nerror_log {tmp}/error.log warn;\nworker_processes 1;\n"
        "events { worker_connections 256; }\n"
        "http {\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
        f"{temp_paths}    include {tmp}/ftu.conf;\n}}\n"
    )
    test = subprocess.run(  # noqa: S603
        [nginx, "-t", "-p", str(tmp), "-c", str(tmp / "nginx.conf")],
        capture_output=True,
        text=True,
    )
    check(test.returncode == 0, f"nginx -t: {test.stderr.strip()}")
    log = open(tmp / "nginx.out", "wb")  # noqa: SIM115 - closed with the process
    stack.procs["nginx"] = subprocess.Popen(  # noqa: S603
        [nginx, "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-g", "daemon off;"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    context = ssl.create_default_context(cafile=str(tmp / "ssl" / "fullchain.pem"))
    context.check_hostname = False  # we connect to 127.0.0.1; the chain is still verified
    deadline = time.monotonic() + 15
    while True:
        try:
            status, headers, _ = Browser(https_port, tls=context).request("GET", "/healthz")
            break
        except OSError:
            stack.alive("nginx")
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)

    # Plain HTTP is redirected; nginx does not say its version.
    conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
    conn.request("GET", "/accounts/login/", headers={"Host": HOST})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    check(resp.status == 301, f"http -> https: {resp.status}")
    check(resp.getheader("Server") == "nginx", f"Server: {resp.getheader('Server')}")

    # Pages: one set of security headers (Django's), never duplicated by nginx.
    browser = Browser(https_port, tls=context)
    status, headers, _ = browser.request("GET", "/readyz")
    check(status == 200, f"/readyz through nginx: {status}")
    for header in ("Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options"):
        check(browser.count(header) == 1, f"{header} sent {browser.count(header)} times")
    check(browser.count("Content-Security-Policy") <= 1, "CSP sent twice")
    check(browser.count("X-Request-ID") == 1, "no request id through nginx")

    # Metrics never through nginx, whoever asks.
    status, _, _ = Browser(https_port, tls=context).request("GET", "/metrics")
    check(status == 404, f"/metrics through nginx: {status}")

    # A hashed static file: long-cached, with the security headers, from STATIC_ROOT.
    manifest = json.loads((ROOT / "staticfiles" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/ftu.css"]
    static = Browser(https_port, tls=context)
    status, headers, body = static.request("GET", f"/static/{hashed}")
    check(status == 200 and len(body) > 100, f"/static/{hashed}: {status}")
    check("immutable" in headers.get("cache-control", ""), headers.get("cache-control"))
    check(static.count("Strict-Transport-Security") == 1, "static file without HSTS")

    # Log in through TLS and the proxy (the second MFA account: a TOTP code is single-use).
    log_in(Browser(https_port, tls=context), *stack.accounts[1])

    # The access log holds no query strings (they may carry search terms).
    Browser(https_port, tls=context).request("GET", "/accounts/login/?next=/q-canary-4711")
    time.sleep(0.3)
    access = (tmp / "ftu.access.log").read_text()
    check("/accounts/login/" in access, "nothing in the access log")
    check("q-canary-4711" not in access, "the access log kept a query string")
    return f"nginx -t ok; https :{https_port}: redirects, headers once, static, log-in, log"


# --- the checks ---------------------------------------------------------------------------
def step_database(stack: Stack) -> str:
    admin_sql(stack.admin_url, f'CREATE DATABASE "{stack.db_name}"')
    # collectstatic (manifest + gzip/brotli) is the slow part: alongside the rest.
    static = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput"],
        cwd=ROOT,
        env=stack.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    stack.manage("check", "--deploy", "--fail-level", "WARNING")
    stack.manage("migrate", "--noinput")
    out = stack.manage(
        "shell",
        "-c",
        "from agencies import demo; from allauth.mfa.totp.internal.auth import TOTP, "
        "generate_totp_secret\n"
        f"world = demo.build(password={PASSWORD!r}, demo=False)\n"
        "secrets = []\n"
        "for key in ('convenor', 'police_supervisor'):\n"
        "    user = world[key]; secret = generate_totp_secret(); TOTP.activate(user, secret)\n"
        "    secrets += [user.email, secret]\n"
        "from ftu.routing import websocket_urlpatterns\n"
        "print(len(websocket_urlpatterns), *secrets)",
    )
    routes, *pairs = out.stdout.strip().splitlines()[-1].split()
    stack.accounts = list(zip(pairs[::2], pairs[1::2], strict=True))
    _, errors = static.communicate(timeout=600)
    check(static.returncode == 0, f"collectstatic failed: {errors[-2000:]}")
    stack.websocket_routes = int(routes)
    return f"database {stack.db_name} migrated, demo world + MFA for the convenor"


def step_start(stack: Stack) -> str:
    for name in ("web", "ws", "worker", "beat"):
        stack.start(name)
    stack.wait_http("web", stack.web_port)
    stack.wait_http("ws", stack.ws_port)
    return f"web :{stack.web_port}, ws :{stack.ws_port}, worker and beat running"


def step_readyz(stack: Stack) -> str:
    for name, port in (("web", stack.web_port), ("ws", stack.ws_port)):
        status, headers, body = Browser(port).request("GET", "/readyz")
        check(status == 200, f"{name} /readyz: {status} {body}")
        check(json.loads(body)["status"] == "ok", 'json.loads(body)["status"] == "ok"')
        check("x-request-id" in headers, '"x-request-id" in headers')
    status, headers, _ = Browser(stack.web_port).request("GET", "/healthz")
    check("strict-transport-security" in headers, "no HSTS behind the proxy")
    check(
        headers.get("x-content-type-options") == "nosniff",
        'headers.get("x-content-type-options") == "nosniff"',
    )
    return "database, cache and channel layer ready on both tiers; HSTS and nosniff sent"


def step_https_only(stack: Stack) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", stack.web_port, timeout=10)
    conn.request("GET", "/accounts/login/", headers={"Host": HOST})
    resp = conn.getresponse()
    resp.read()
    check(
        resp.status == 301 and resp.getheader("Location", "").startswith("https://"),
        f"plain HTTP not redirected: {resp.status}",
    )
    conn.close()
    status, _, _ = Browser(stack.web_port).request("GET", "/", None)
    check(status == 302, "anonymous home page did not redirect to the log-in page")
    return "plain HTTP redirected to HTTPS; anonymous sent to log in"


def log_in(browser: Browser, email: str, secret: str) -> None:
    """The allauth form, then the TOTP step, then the home page."""
    status, _, html = browser.request("GET", "/accounts/login/")
    check(status == 200, f"login page: {status}")
    check("__Host-csrftoken" in browser.cookies, browser.cookies)
    token = browser.form_token(html)
    status, headers, _ = browser.request(
        "POST",
        "/accounts/login/",
        {"csrfmiddlewaretoken": token, "login": email, "password": PASSWORD},
    )
    check(status == 302, f"password step: {status}")
    location = headers["location"]
    check("/2fa/authenticate" in location, f"MFA not asked: {location}")
    status, _, html = browser.request("GET", location)
    check(status == 200, f"MFA page: {status}")
    status, headers, _ = browser.request(
        "POST",
        location,
        {"csrfmiddlewaretoken": browser.form_token(html), "code": totp(secret)},
    )
    check(status == 302, f"MFA step: {status}")
    check("__Host-sessionid" in browser.cookies, "no __Host-sessionid cookie")
    status, _, html = browser.request("GET", "/")
    check(status == 200, f"home after log-in: {status}")
    check("log out" in html.lower() or "logout" in html.lower(), "home page without log-out")


def step_login(stack: Stack) -> str:
    stack.browser = Browser(stack.web_port)
    log_in(stack.browser, *stack.accounts[0])
    return "allauth form + TOTP step on the WSGI tier; home page served"


def step_metrics(stack: Stack) -> str:
    status, _, body = Browser(stack.web_port).request("GET", "/metrics")
    check(status == 200, f"/metrics from the listed scraper: {status}")
    check(
        "django_http_requests_latency_seconds_by_view_method" in body,
        '"django_http_requests_latency_seconds_by_view_method" in body',
    )
    check("ftu_websocket_connections" in body, '"ftu_websocket_connections" in body')
    # Straight from 127.0.0.1 (not listed, no proxy header): refused.
    conn = http.client.HTTPConnection("127.0.0.1", stack.web_port, timeout=10)
    conn.request("GET", "/metrics", headers={"Host": HOST, "X-Forwarded-Proto": "https"})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    check(resp.status == 404, f"/metrics from an unlisted address: {resp.status}")
    status, _, body = Browser(stack.ws_port).request("GET", "/metrics")
    check(status == 200 and "ftu_websocket_connections" in body, f"ws /metrics: {status}")
    return "web and ws /metrics answer the listed scraper (multiprocess), 404 to others"


def step_celery_task(stack: Stack) -> str:
    stack.alive("worker")
    result = stack.manage("ping_worker", "--timeout", "30")
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    worker_pid = stack.procs["worker"].pid
    check(
        worker_pid in (answer["pid"], answer["ppid"]),
        f"ping ran in pid {answer['pid']} (parent {answer['ppid']}), not in worker {worker_pid}",
    )
    # A failing task is counted by the worker's metrics (Celery's task_failure signal).
    from celery import Celery

    sender = Celery("smoke", broker=stack.env["REDIS_URL"])
    sender.conf.broker_transport_options = {
        "global_keyprefix": f"{stack.env['FTU_CHANNEL_PREFIX']}:"
    }
    sender.send_task("ftu.tasks.ping", args=["not-a-token"])
    port = int(stack.env["FTU_METRICS_WORKER_ADDR"].rsplit(":", 1)[1])
    wanted = 'ftu_celery_task_failures_total{task="ftu.tasks.ping"} 1.0'
    deadline, body = time.monotonic() + 20, ""
    while time.monotonic() < deadline and wanted not in body:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/metrics")
        body = conn.getresponse().read().decode()
        conn.close()
        time.sleep(0.3)
    check(wanted in body, "the worker's metrics did not count the failed task")
    return (
        f"ftu.tasks.ping ran on the started worker (pid {answer['pid']}) in "
        f"{answer['seconds']} s; a failing task was counted in the worker's metrics"
    )


NOTIFICATION_KEYS = {"id", "kind", "urgency", "title", "link"}


def metric_value(body: str, sample: str) -> float:
    """The value of one sample line (``name{labels}``) of a /metrics page; 0 if absent."""
    for line in body.splitlines():
        name, _, value = line.rpartition(" ")
        if name == sample:
            return float(value)
    return 0.0


def scrape(port: int) -> str:
    status, _, body = Browser(port).request("GET", "/metrics")
    check(status == 200, f"/metrics on :{port}: {status}")
    return body


def step_notification_roundtrip(stack: Stack) -> str:
    """A page on the WSGI tier notifies; a websocket on the ASGI tier receives it.

    The convenor's session from the real log-in (step_login) opens the notifications socket
    on uvicorn (Origin: the allowed host, headers as nginx sets them), says hello and waits
    for "synced"; then the preferences page's "send me a test notification" form is POSTed
    to gunicorn.  The frame must arrive over Redis with only the allowed payload keys, and
    both tiers' metrics must show it (socket open; notification created and pushed).
    """
    if stack.websocket_routes == 0:
        raise NotRun("no websocket route yet (notifications consumer not merged)")
    browser = stack.browser
    if browser is None or "__Host-sessionid" not in browser.cookies:
        raise Failed("no logged-in session from the log-in step")
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    created_sample = 'ftu_notifications_created_total{kind="notifications.test"}'
    pushed_sample = 'ftu_notifications_pushed_total{outcome="sent"}'
    web_before = scrape(stack.web_port)
    raw = socket.create_connection(("127.0.0.1", stack.ws_port), timeout=10)
    cookie = f"__Host-sessionid={browser.cookies['__Host-sessionid']}"
    with connect(
        f"ws://{HOST}/ws/notifications/",
        sock=raw,
        origin=ORIGIN,  # type: ignore[arg-type]
        additional_headers={
            "Cookie": cookie,
            "X-Forwarded-Proto": "https",
            "X-Real-IP": "192.0.2.10",
            "User-Agent": "ftu-smoke/1",
        },
        proxy=None,
        open_timeout=10,
        close_timeout=5,
    ) as ws:
        ws.send(json.dumps({"type": "hello", "last_id": None}))
        try:
            synced = json.loads(ws.recv(timeout=10))
        except ConnectionClosed as exc:
            raise Failed(f"the socket was closed instead of synced: {exc.rcvd}") from None
        check(synced.get("type") == "synced", f"first frame: {synced}")
        ws_body = scrape(stack.ws_port)
        open_sockets = metric_value(ws_body, "ftu_websocket_connections")
        check(open_sockets >= 1, f"ws tier counts {open_sockets} open sockets")

        status, _, html = browser.request("GET", "/notifications/preferences")
        check(status == 200, f"preferences page: {status}")
        sent_at = time.monotonic()
        status, headers, _ = browser.request(
            "POST",
            "/notifications/preferences/test",
            {"csrfmiddlewaretoken": browser.form_token(html)},
        )
        check(status == 302, f"send-test POST on the WSGI tier: {status}")
        try:
            frame = json.loads(ws.recv(timeout=10))
        except TimeoutError:
            raise Failed("no notification frame within 10 s of the POST") from None
        latency = time.monotonic() - sent_at
    check(set(frame) == {"type", "notification"}, f"frame keys: {sorted(frame)}")
    check(frame["type"] == "notification", f"frame type: {frame['type']}")
    payload = frame["notification"]
    check(set(payload) == NOTIFICATION_KEYS, f"payload keys: {sorted(payload)}")
    check(payload["kind"] == "notifications.test", f"kind: {payload['kind']}")
    check(isinstance(payload["id"], int) and payload["id"] > synced["last_id"], payload["id"])
    web_after = scrape(stack.web_port)
    for sample in (created_sample, pushed_sample):
        before, after = metric_value(web_before, sample), metric_value(web_after, sample)
        check(after >= before + 1, f"web /metrics {sample}: {before} -> {after}")
    return (
        f"POST on gunicorn :{stack.web_port} -> frame on uvicorn :{stack.ws_port} "
        f"{latency * 1000:.0f} ms after the POST was sent, "
        f"keys {sorted(payload)}; metrics moved on both tiers"
    )


def step_clock(stack: Stack) -> str:
    """Clock offset under 1 s against the NIC/NPL sources (REFERENCE R33), where chrony runs."""
    chronyc = shutil.which("chronyc")
    if not chronyc:
        raise NotRun("chrony is not installed on this machine (deploy/chrony/ftu-india.sources)")
    tracking = subprocess.run(  # noqa: S603
        [chronyc, "-n", "tracking"], capture_output=True, text=True, timeout=10
    )
    match = re.search(r"System time\s*:\s*([0-9.]+) seconds", tracking.stdout)
    if tracking.returncode != 0 or not match:
        raise NotRun("chronyd is not running here")
    offset = float(match.group(1))
    check(offset < 1.0, f"clock offset {offset:.3f} s (must stay under 1 s)")
    sources = subprocess.run(  # noqa: S603
        [chronyc, "sources"], capture_output=True, text=True, timeout=10
    ).stdout
    indian = [h for h in ("samay1.nic.in", "samay2.nic.in", "nplindia") if h in sources]
    return f"offset {offset:.3f} s; NIC/NPL sources: {', '.join(indian) or 'none listed'}"


def step_beat(stack: Stack) -> str:
    stack.alive("beat")
    return "beat still running"


class NotRun(Exception):
    pass


class Failed(Exception):
    pass


def check(condition: object, message: object) -> None:
    if not condition:
        raise Failed(str(message))


STEPS: list[tuple[str, Callable[[Stack], str]]] = [
    ("database", step_database),
    ("start the stack from the unit files", step_start),
    ("readiness", step_readyz),
    ("HTTPS only", step_https_only),
    ("log in through allauth with MFA", step_login),
    ("nginx in front (deploy/nginx/ftu.conf, TLS)", step_nginx),
    ("metrics", step_metrics),
    ("Celery task on the worker", step_celery_task),
    ("notification: WSGI page -> ASGI websocket", step_notification_roundtrip),
    ("beat", step_beat),
    ("clock sync", step_clock),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("SMOKE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL URL allowed to CREATE/DROP DATABASE (maintenance database)",
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("SMOKE_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--keep-logs", action="store_true", help="leave the temp directory")
    args = parser.parse_args()
    started = time.monotonic()
    stack = prepare(args)
    failed, not_run = [], []
    try:
        for title, step in STEPS:
            t0 = time.monotonic()
            try:
                detail = step(stack)
                print(f"ok      {title}: {detail} ({time.monotonic() - t0:.1f} s)")
            except NotRun as exc:
                not_run.append(title)
                print(f"NOT RUN {title}: {exc}")
            except Exception as exc:  # noqa: BLE001 - report every failing step
                failed.append(title)
                print(f"FAILED  {title}: {exc}")
                if title in ("database", "start the stack from the unit files"):
                    break
    finally:
        stack.stop()
        for name in stack.procs:
            if failed:
                print(f"--- {name} log (tail) ---\n{stack.log_tail(name)}")
        try:
            admin_sql(stack.admin_url, f'DROP DATABASE IF EXISTS "{stack.db_name}" WITH (FORCE)')
        except Exception as exc:  # noqa: BLE001
            print(f"could not drop {stack.db_name}: {exc}")
        try:
            import redis

            client = redis.Redis.from_url(args.redis_url)
            prefix = stack.env["FTU_CHANNEL_PREFIX"]
            keys = list(client.scan_iter(match=f"{prefix}:*", count=500))
            if keys:
                client.delete(*keys)
        except Exception as exc:  # noqa: BLE001
            print(f"could not remove the run's Redis keys: {exc}")
        if args.keep_logs:
            print(f"logs kept in {stack.tmp}")
        else:
            shutil.rmtree(stack.tmp, ignore_errors=True)
    total = time.monotonic() - started
    print(
        f"smoke: {len(STEPS) - len(failed) - len(not_run)} ok, {len(failed)} failed, "
        f"{len(not_run)} not run ({', '.join(not_run) or '-'}) in {total:.1f} s"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
