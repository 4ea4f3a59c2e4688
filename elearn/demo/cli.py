"""`flask --app elearn demo …`: set up the built-in demo LMS."""
import click
from flask import current_app
from flask.cli import with_appcontext

from elearn.demo.setup import setup


@click.group()
def demo():
    """The built-in demo LMS."""


@demo.command("setup")
@click.option("--base-url", default=None,
              help="The tool's public base URL (default: TOOL_BASE_URL, else http://127.0.0.1:5000).")
@with_appcontext
def setup_command(base_url):
    """Create the demo LMS's keys and course and register it with the tool (safe to run again)."""
    base = (base_url or current_app.config.get("TOOL_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise click.BadParameter("must start with http:// or https://", param_hint="--base-url")
    result = setup(base + "/demo", base)
    click.echo(f"Demo LMS issuer:  {result.issuer}")
    click.echo(f"Client id:        {result.client_id}")
    click.echo(f"Deployment id:    {result.deployment_id}")
    click.echo(f"Tool on demo LMS: {'registered' if result.tool_registered else 'already registered'}")
    click.echo(f"Demo LMS in tool: {'registered' if result.platform_registered else 'already registered'}")
    click.echo(f"Open {result.issuer}/ to launch a module.")
