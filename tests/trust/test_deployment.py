"""Hardened deployment: production settings pass Django's deployment checks, secrets come only
from the environment, and every response carries the security headers and the CSP."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
STRONG_SECRET = "k3Y-" + "x7Qp9Lm2Vb8Nc4Rt6Wz1Hs5Jd0Fg3Ak" * 2


def run_manage(*args, env_overrides, tmp_path, drop=()):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOKET_") and k not in drop}
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests in this process
    env.update({"LOKET_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"})
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION_ENV = {
    "LOKET_PRODUCTION": "1",
    "LOKET_SECRET_KEY": STRONG_SECRET,
    "LOKET_PAYMENT_SECRET": "gateway-shared-secret-from-the-vault",
    "LOKET_ALLOWED_HOSTS": "loket.example.id",
}


def test_deploy_check_is_clean_in_production(tmp_path):
    """`manage.py check --deploy` reports nothing with production settings and secrets set."""
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_overrides=PRODUCTION_ENV,
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    "missing",
    [
        {"LOKET_SECRET_KEY": None},
        {"LOKET_PAYMENT_SECRET": None},
        {"LOKET_SECRET_KEY": ""},
        {"LOKET_PAYMENT_SECRET": "  "},
        {"LOKET_SECRET_KEY": "dev-only-insecure-secret-key-change-me"},
        {"LOKET_PAYMENT_SECRET": "dev-payment-secret"},
    ],
    ids=[
        "no-secret-key",
        "no-payment-secret",
        "empty-secret-key",
        "blank-payment-secret",
        "dev-secret-key",
        "dev-payment-secret",
    ],
)
def test_production_refuses_to_start_without_secrets(tmp_path, missing):
    """In production mode the server will not start without its secrets from the environment."""
    env = {k: v for k, v in {**PRODUCTION_ENV, **missing}.items() if v is not None}
    result = run_manage("check", env_overrides=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "LOKET_SECRET_KEY and LOKET_PAYMENT_SECRET must be set" in result.stderr


def test_production_settings_are_hardened(tmp_path):
    """Production turns on HTTPS-only cookies, HSTS with preload and the HTTPS redirect."""
    code = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.LANGUAGE_COOKIE_SECURE, "
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS >= 31536000, "
        "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD)"
    )
    result = run_manage(
        "shell", "--no-imports", "-c", code, env_overrides=PRODUCTION_ENV, tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False"] + ["True"] * 7


def test_csp_is_enforced_unless_switched_off(tmp_path):
    """The policy is enforced by default; LOKET_CSP_ENFORCE=0 turns it back to report-only."""
    code = (
        "from django.conf import settings as s; "
        "print(bool(getattr(s, 'CONTENT_SECURITY_POLICY', None)), "
        "bool(getattr(s, 'CONTENT_SECURITY_POLICY_REPORT_ONLY', None)))"
    )
    enforced = run_manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        env_overrides={},  # the default
        tmp_path=tmp_path,
    )
    reporting = run_manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        env_overrides={"LOKET_CSP_ENFORCE": "0"},
        tmp_path=tmp_path,
    )
    assert enforced.stdout.split() == ["True", "False"], enforced.stderr
    assert reporting.stdout.split() == ["False", "True"], reporting.stderr


@pytest.mark.django_db
def test_responses_carry_security_headers_and_csp(client):
    """Every answer forbids framing and sniffing, keeps the referrer on site and carries the
    content security policy (report-only by default)."""
    response = client.get("/healthz")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = (
        response.get("Content-Security-Policy") or response["Content-Security-Policy-Report-Only"]
    )
    directives = {part.split()[0]: part.split()[1:] for part in policy.split("; ")}
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["img-src"] == ["'self'", "data:"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["connect-src"] == ["'self'"]


@pytest.mark.django_db
def test_api_docs_page_needs_no_inline_script(client):
    """The API docs page (swagger-ui) runs only this site's script files, so the strict policy
    needs no exemption for it: its one inline <script> is JSON data, which is never executed."""
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    inline = [
        tag
        for tag in re.findall(r"<script\b[^>]*>", html)
        if "src=" not in tag and 'type="application/json"' not in tag
    ]
    assert inline == []
    assert "cdn" not in html.lower()
