"""Response headers that make the browser enforce our rules: a CSP with a per-request nonce for inline
scripts (folium's map script gets it), no framing, no MIME sniffing, a strict referrer policy, a
Permissions-Policy that allows only what the pages use, and HSTS when the site is served over HTTPS."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, abort, g, request
from flask_login import current_user


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _tile_origin(tile_url: str) -> str:
    parts = urlsplit(tile_url.replace("{s}", "a"))
    host = parts.netloc.replace("a.", "*.", 1) if "{s}" in tile_url else parts.netloc
    return f"{parts.scheme}://{host}" if parts.scheme else ""


# Browser features the pages may use: the map's "near me" and the report form's "use my location" ask for the
# position, the share box copies a link. Photos are picked through a file input (the phone's own camera app),
# which needs no camera permission. Everything else is off, for our pages and anything they might embed.
PERMISSIONS_POLICY = ", ".join(
    [
        "geolocation=(self)",
        "clipboard-write=(self)",
        *(
            f"{feature}=()"
            for feature in (
                "camera",
                "microphone",
                "accelerometer",
                "gyroscope",
                "magnetometer",
                "autoplay",
                "display-capture",
                "encrypted-media",
                "fullscreen",
                "midi",
                "payment",
                "picture-in-picture",
                "publickey-credentials-get",
                "screen-wake-lock",
                "usb",
                "serial",
                "hid",
                "xr-spatial-tracking",
                "idle-detection",
                "browsing-topics",
            )
        ),
    ]
)


def serves_https(config) -> bool:
    """Whether the site is configured to be reached over HTTPS: Secure cookies, https URLs or base URL."""
    return bool(
        config.get("SESSION_COOKIE_SECURE")
        or config.get("PREFERRED_URL_SCHEME") == "https"
        or str(config.get("BASE_URL") or "").startswith("https://")
    )


def hsts_value(config) -> str:
    """Strict-Transport-Security for CIVIC_HSTS_MAX_AGE seconds (0 tells browsers to forget it)."""
    return f"max-age={int(config.get('HSTS_MAX_AGE', 0))}"


def register_security_headers(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.before_request
    def _reject_oversized_bodies():
        """Answer 413 before any view or sign-in check, not only when a form happens to be read."""
        limit = app.config.get("MAX_CONTENT_LENGTH")
        if limit and request.content_length and request.content_length > limit:
            abort(413)

    @app.after_request
    def _headers(response):
        tiles = _tile_origin(app.config.get("TILE_URL", ""))
        policy = "; ".join(
            [
                "default-src 'self'",
                f"script-src 'self' 'nonce-{csp_nonce()}'",
                "style-src 'self' 'unsafe-inline'",  # Leaflet positions map panes with inline styles
                f"img-src 'self' data: blob: {tiles}".strip(),
                "connect-src 'self'",
                "font-src 'self'",
                "object-src 'none'",
                "base-uri 'self'",
                "form-action 'self'",
                "frame-ancestors 'none'",
            ]
        )
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        # Browsers ignore HSTS received over plain HTTP; send it when the site is set up for HTTPS (behind the
        # proxy, CIVIC_PROXY_HOPS makes request.is_secure true for https visitors too).
        if serves_https(app.config) or request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", hsts_value(app.config))
        if response.mimetype == "text/html" and current_user.is_authenticated:
            # Personal pages (badge counts, private details) must not come back from a shared cache or
            # from the back button stale.
            response.headers.setdefault("Cache-Control", "private, no-store")
        return response
