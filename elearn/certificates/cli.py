"""`flask --app elearn certificates new-key|keys`: the keys that sign credentials (Open Badges)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from elearn.certificates import keys


@click.group(cls=AppGroup)
def certificates():
    """Certificates and the keys that sign their credentials."""


@certificates.command("new-key")
def new_key_command():
    """Start signing credentials with a new key (all earlier keys stay published)."""
    key = keys.new_key()
    click.echo(f"new credential key {key.kid}; {len(keys.published_jwks()['keys'])} keys published")


@certificates.command("keys")
def keys_command():
    """List the credential keys, newest (the one that signs) first."""
    for jwk in keys.published_jwks()["keys"]:
        click.echo(jwk["kid"])
