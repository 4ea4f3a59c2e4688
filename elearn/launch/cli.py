"""`flask --app elearn lti …`: registrations and keys."""
from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app, url_for
from flask.cli import AppGroup

from elearn.extensions import db
from lti import dynreg, keys, registry


@click.group(cls=AppGroup)
def lti():
    """LTI 1.3 platforms, deployments and the tool's keys."""


@lti.command("rotate-keys")
def rotate_keys():
    """Promote the published next key to current, keep the old one as previous, publish a new next."""
    result = keys.rotate(db.session)
    db.session.commit()
    click.echo(f"current:  {result['current']}")
    click.echo(f"next:     {result['next']} (published, not yet used)")
    click.echo(f"previous: {result['previous']} (published until its tokens expire)")
    if result["dropped"]:
        click.echo(f"dropped {result['dropped']} expired previous key(s)")


def _base_url() -> str:
    """The tool's public base URL (TOOL_BASE_URL, else SERVER_NAME, else localhost)."""
    base = current_app.config.get("TOOL_BASE_URL")
    if base:
        return base
    server = current_app.config.get("SERVER_NAME")
    scheme = current_app.config.get("PREFERRED_URL_SCHEME", "http")
    return f"{scheme}://{server}" if server else "http://127.0.0.1:5000"


@lti.command("registration-url")
@click.option("--days", default=7, show_default=True, help="How long the URL stays valid.")
def registration_url(days: int):
    """Print a one-time URL to paste into an LMS for LTI Dynamic Registration."""
    token = dynreg.create_registration_token(db.session, timedelta(days=days))
    db.session.commit()
    with current_app.test_request_context(base_url=_base_url()):
        path = url_for("launch.register", token=token)
    click.echo(_base_url().rstrip("/") + path)
    if not current_app.config.get("TOOL_BASE_URL"):
        click.echo("(set TOOL_BASE_URL to print the public https URL)", err=True)


@lti.command("add-platform")
@click.option("--issuer", required=True, help="The platform's issuer (iss).")
@click.option("--client-id", required=True, help="The client ID the platform gave the tool.")
@click.option("--deployment-id", "deployment_ids", multiple=True, help="A deployment ID (repeatable).")
@click.option("--auth-login-url", required=True, help="The platform's OIDC authorization endpoint.")
@click.option("--auth-token-url", required=True, help="The platform's OAuth2 token endpoint.")
@click.option("--key-set-url", required=True, help="The platform's public keys (JWKS) URL.")
@click.option("--name", default=None, help="A name for people.")
@click.option("--auth-audience", default=None, help="Token audience when it is not the token URL (Brightspace).")
@click.option("--replace", is_flag=True,
              help="Replace the login, token and key set URLs of an existing registration (issuer + client ID).")
def add_platform(issuer, client_id, deployment_ids, auth_login_url, auth_token_url, key_set_url, name,
                 auth_audience, replace):
    """Register a platform by hand (idempotent; adds missing deployments; --replace changes its URLs)."""
    try:
        platform = registry.add_platform(
            db.session, issuer=issuer, client_id=client_id, deployment_ids=deployment_ids,
            auth_login_url=auth_login_url, auth_token_url=auth_token_url, key_set_url=key_set_url,
            name=name, auth_audience=auth_audience, replace=replace)
    except registry.RegistrationClash as exc:
        db.session.rollback()
        raise click.UsageError(f"{exc}: add --replace to do so") from exc
    except ValueError as exc:
        db.session.rollback()
        raise click.BadParameter(str(exc)) from exc
    db.session.commit()
    deployments = ", ".join(d.deployment_id for d in platform.deployments) or "none"
    click.echo(f"platform {platform.id}: {platform.issuer} client {platform.client_id}; deployments: {deployments}")


@lti.command("list-platforms")
def list_platforms():
    """Show every registered platform with its deployments."""
    platforms = registry.list_platforms(db.session)
    if not platforms:
        click.echo("no platforms registered")
    for p in platforms:
        deployments = ", ".join(d.deployment_id for d in p.deployments) or "none"
        click.echo(f"{p.id}\t{p.name or ''}\t{p.issuer}\tclient={p.client_id}\tdeployments={deployments}\t"
                   f"via={p.registered_via}")
