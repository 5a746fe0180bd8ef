"""civic: a neighbourhood's problems, its people and its city on one map.

`create_app(config=None)` builds the Flask app: configuration, extensions, blueprints, error handlers,
CLI commands. It never creates tables: `flask db upgrade` does (make run runs it before serving).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent  # templates/ and static/ live at the repository root


def create_app(config: object | dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    from civic.config import Config, finalise

    app.config.from_object(Config)
    app.config.from_prefixed_env("CIVIC")
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    finalise(app)
    if app.config.get("PROXY_HOPS"):
        # Behind a reverse proxy: trust its X-Forwarded-* headers (client address for rate limits, https).
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]  # Flask's documented way to wrap the WSGI app

    register_extensions(app)
    from civic.web import DatabaseId

    app.url_map.converters["int"] = DatabaseId  # before any route is added
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    return app


def register_extensions(app: Flask) -> None:
    from civic import assets, database, sharing
    from civic.extensions import babel, csrf, db, limiter, login_manager, migrate, socketio
    from civic.i18n import install_template_gettext, select_locale
    from civic.request_guard import register_request_guard
    from civic.security import register_security_headers

    db.init_app(app)
    database.init_app(app)  # the request owns the transaction
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    install_template_gettext(app)
    queue = app.config.get("SOCKETIO_MESSAGE_QUEUE")
    # Flask-SocketIO keeps options between init_app calls; without a queue, reset its manager too.
    reset: dict[str, Any] = {} if queue else {"client_manager": None}
    socketio.init_app(
        app,
        message_queue=queue,
        **reset,
        channel=app.config.get("SOCKETIO_CHANNEL", "civic"),
        async_mode=app.config.get("SOCKETIO_ASYNC_MODE", "threading"),
        cors_allowed_origins=app.config.get("SOCKETIO_CORS_ORIGINS", []),
    )
    from civic.realtime.events import register_handlers

    register_handlers(socketio)  # on the server init_app just made (see civic/realtime/events.py)
    _configure_login(app, login_manager)
    register_security_headers(app)
    register_request_guard(app)  # deep JSON, NUL characters, chunked bodies over MAX_CONTENT_LENGTH
    assets.init_app(app)  # hashed static names, compression, /favicon.ico
    sharing.init_app(app)  # link preview tags
    _import_models()


def _import_models() -> None:
    """Every model module, so the metadata (and Alembic's autogenerate) sees every table."""
    from civic import jobs as _jobs  # noqa: F401
    from civic.accounts import models as _accounts  # noqa: F401
    from civic.api import models as _api  # noqa: F401
    from civic.city311 import models as _city311  # noqa: F401
    from civic.events import models as _events  # noqa: F401
    from civic.geo import models as _geo  # noqa: F401
    from civic.georeport import models as _georeport  # noqa: F401
    from civic.issues import models as _issues  # noqa: F401
    from civic.mail import models as _mail  # noqa: F401
    from civic.notifications import models as _notifications  # noqa: F401
    from civic.staff import models as _staff  # noqa: F401


def _configure_login(app: Flask, login_manager) -> None:
    from flask import flash, redirect, request, url_for
    from flask_babel import lazy_gettext as _l

    from civic.accounts.models import Anonymous, User
    from civic.errorpages import render_error
    from civic.extensions import db

    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    login_manager.login_view = "accounts.login"
    login_manager.anonymous_user = Anonymous  # the role predicates answer no for visitors

    @login_manager.user_loader
    def load_user(session_id: str):
        user_id, _sep, nonce = session_id.partition(":")
        if not user_id.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        # A suspended account's sessions end at once (its nonce is also rotated on suspension).
        return user if user is not None and user.session_nonce == nonce and not user.is_suspended else None

    # /api/ requests with "Authorization: Bearer <personal token>": the request_loader, no session saved,
    # no fall back to the session (civic/api/auth.py).
    from civic.api import auth as api_auth

    api_auth.init_app(app)

    @login_manager.unauthorized_handler
    def unauthorized():
        if request.path.startswith("/api/"):
            return render_error(401, str(_l("Sign in to use this part of the API.")))
        flash(str(_l("Please sign in to open that page.")), "info")
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))


def register_blueprints(app: Flask) -> None:
    from civic.accounts import bp as accounts_bp
    from civic.admin import bp as admin_bp
    from civic.api import bp as api_bp
    from civic.api.token_views import bp as api_tokens_bp
    from civic.city311 import handlers as _city311_handlers  # noqa: F401  (files new issues with the city)
    from civic.city311 import panels as _city311_panels  # noqa: F401  (the ticket box, the city's questions)
    from civic.city311.views import bp as city311_bp
    from civic.core import bp as core_bp
    from civic.dashboard import bp as dashboard_bp
    from civic.events import bp as events_bp
    from civic.feeds import bp as feeds_bp
    from civic.georeport.views import bp as georeport_bp
    from civic.issues import bp as issues_bp
    from civic.media import bp as media_bp
    from civic.moderation import bp as moderation_bp
    from civic.notifications import bp as notifications_bp
    from civic.privacy import bp as privacy_bp
    from civic.staff import bp as staff_bp

    for bp in (
        core_bp,
        accounts_bp,
        issues_bp,
        media_bp,
        notifications_bp,
        feeds_bp,
        dashboard_bp,
        admin_bp,
        staff_bp,
        api_bp,
        city311_bp,
        georeport_bp,
        events_bp,
        moderation_bp,
        privacy_bp,
        api_tokens_bp,
    ):
        app.register_blueprint(bp)


def register_errorhandlers(app: Flask) -> None:
    from civic.errorpages import register_error_handlers

    register_error_handlers(app)


def register_commands(app: Flask) -> None:
    """Each domain's command group (`flask demo`, `users`, `categories`, `notifications`, `events`, `open311`,
    `jobs`) and the background jobs the domains bring (civic/jobs.py knows none of them)."""
    from civic import jobs
    from civic.accounts.cli import users_cli
    from civic.city311 import cli as city311
    from civic.demo.cli import demo_cli
    from civic.events import cli as events
    from civic.geo.cli import geo_cli
    from civic.georeport import cli as _georeport_cli  # noqa: F401  (adds create-api-key to open311_cli)
    from civic.issues.cli import categories_cli  # (and assign-blocks to geo_cli)
    from civic.notifications import cli as notifications

    for group in (
        demo_cli,
        users_cli,
        categories_cli,
        geo_cli,
        notifications.notifications_cli,
        events.events_cli,
        city311.open311_cli,
        jobs.cli,
    ):
        app.cli.add_command(group)
    city311.register_jobs(app)
    events.register_jobs(app)
    notifications.register_jobs(app)


def register_template_helpers(app: Flask) -> None:
    from flask_babel import get_locale

    from civic.geo.neighbourhoods import attribution

    @app.template_filter("neighbourhood_name")
    def _neighbourhood_name(slug: str | None) -> str:
        from civic.geo.neighbourhoods import by_slug

        hood = by_slug(slug) if slug else None
        return hood.name if hood else ""

    # A global, not only a context variable: macros imported from other templates (_map_assets.html) see globals.
    app.add_template_global(attribution, "neighbourhood_credit")

    @app.template_global("finds_addresses")
    def _finds_addresses() -> bool:
        from civic.geo.geocoding import finds_addresses

        return finds_addresses()

    @app.template_filter("place_label")
    def _place_label(issue) -> str:
        from civic.issues.places import place_label

        return place_label(issue)

    @app.context_processor
    def _globals():
        from flask_login import current_user

        from civic.notifications.services import unread_count

        return {
            "unread_notifications": unread_count(current_user),
            "current_locale": str(get_locale() or "en"),
            "city_name": app.config["CITY_NAME"],
            "neighbourhood_attribution": attribution(),
        }
