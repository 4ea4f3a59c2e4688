"""Registers every `flask --app elearn …` command group."""
from flask import Flask

from elearn import translate
from elearn.accreditation import cli as accreditation_cli
from elearn.catalog import cli as catalog_cli
from elearn.certificates import cli as certificates_cli
from elearn.demo import cli as demo_cli
from elearn.grades import cli as grades_cli
from elearn.launch import cli as launch_cli


def init_app(app: Flask) -> None:
    """Attach the command groups of each feature."""
    app.cli.add_command(translate.translate)
    app.cli.add_command(catalog_cli.courses)
    app.cli.add_command(launch_cli.lti)
    app.cli.add_command(grades_cli.grades)
    app.cli.add_command(accreditation_cli.accreditation)
    app.cli.add_command(certificates_cli.certificates)
    if app.config["DEMO_LMS"]:
        app.cli.add_command(demo_cli.demo)
