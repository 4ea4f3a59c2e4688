"""`flask --app elearn grades run|status|retry`: the worker and the state of the outbox."""
from __future__ import annotations

import signal
import threading

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from elearn.extensions import db
from elearn.grades.models import DELIVERED, PARKED, PENDING, GradeDelivery
from elearn.grades.outbox import requeue_parked
from elearn.grades.worker import run as run_worker


@click.group(cls=AppGroup)
def grades():
    """Scores on their way to LMS gradebooks."""


@grades.command("run")
@click.option("--poll", default=1.0, show_default=True, help="Seconds between rounds when idle.")
def run(poll: float):
    """Deliver queued scores until stopped (SIGTERM/SIGINT finish the current try first)."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    click.echo("grade worker running; Ctrl-C to stop")
    run_worker(stop, poll)


@grades.command("status")
@click.option("--parked", "show_parked", is_flag=True, help="List parked deliveries with their reason.")
def status(show_parked: bool):
    """How many scores are pending, delivered and parked."""
    counts = dict(db.session.execute(select(GradeDelivery.status, func.count()).group_by(GradeDelivery.status)).all())
    for name in (PENDING, DELIVERED, PARKED):
        click.echo(f"{name:<10} {counts.get(name, 0)}")
    if show_parked:
        for row in db.session.scalars(select(GradeDelivery).where(GradeDelivery.status == PARKED)
                                      .order_by(GradeDelivery.id)):
            what = f"attempt {row.attempt_id}" if row.attempt_id is not None else \
                f"event {row.event_id} attendance (score {row.event_seq})"
            click.echo(f"#{row.id} {what} status {row.last_status}: {row.last_error}")


@grades.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all-parked", is_flag=True, help="Send every parked delivery again.")
def retry(ids: tuple[int, ...], all_parked: bool):
    """Queue parked deliveries again (by id, or all of them)."""
    if not ids and not all_parked:
        raise click.UsageError("name delivery ids, or pass --all-parked")
    count = requeue_parked(ids=ids)
    db.session.commit()
    click.echo(f"queued {count} delivery(ies) again")
