"""`flask --app elearn courses check|load`."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import yaml
from flask import current_app
from flask.cli import with_appcontext

from elearn.catalog import yamlsrc
from elearn.catalog.content import plain
from elearn.catalog.loader import LoadRefused, load_directory
from elearn.catalog.study_load import TOLERANCE, over_claimed
from elearn.catalog.validate import CheckResult, check_directory
from elearn.questions.gift import export_gift, import_gift, merge_language
from elearn.questions.messages import GiftError

DIR_HELP = "The courses directory (default: COURSES_DIR, i.e. ./courses)."


@click.group()
def courses():
    """Course content in courses/."""


def _directory(path: str | None) -> Path:
    """--dir, or the configured COURSES_DIR."""
    return Path(path or current_app.config["COURSES_DIR"])


def _summary(result: CheckResult) -> dict:
    """Counts of what was checked."""
    content = result.content
    sa = content.self_assessment
    domains = sa.get("domains") if hasattr(sa, "get") else None
    questions = sum(len(d.get("questions") or []) for d in domains or [] if hasattr(d, "get"))
    return {"courses": len(content.courses), "modules": len(content.modules),
            "quiz_items": content.quiz_items, "self_assessment_questions": questions,
            "errors": len(result.problems.errors), "warnings": len(result.problems.warnings)}


def _module_rows(result: CheckResult) -> list[dict]:
    """Per module: the claimed and derived study load with its parts, and the pool's longest-keyed share."""
    rows = []
    for module_id, module in sorted(result.content.modules.items()):
        biased, measured = module.longest_keyed
        rows.append({"module": module_id, **module.load, "over_claimed": bool(module.load) and over_claimed(module.load),
                     "longest_keyed": biased, "single_items": measured,
                     "longest_keyed_percent": round(100 * biased / measured) if measured else None})
    return rows


def _load_table(rows: list[dict]) -> list[str]:
    """The rows as a compact table: minutes claimed vs derived and its parts, the pool's bias."""
    head = ("module", "claimed", "derived", "max", "reading", "test", "cases", "reflect", "further", "longest keyed")
    lines = [f"{head[0]:<32}" + "".join(f"{h:>8}" for h in head[1:-1]) + f"  {head[-1]}"]
    for row in rows:
        if not row.get("derived") and not row.get("claimed"):
            continue
        most = int(row["derived"] * (1 + TOLERANCE))
        flag = "  OVER" if row["over_claimed"] else ""
        share = f"{row['longest_keyed']}/{row['single_items']} {row['longest_keyed_percent']}%" \
            if row["single_items"] else "-"
        numbers = (row["claimed"], row["derived"], most, row["reading"], row["post_test"], row["cases"],
                   row["reflection"], row["further_reading"])
        lines.append(f"{row['module']:<32}" + "".join(f"{n:>8}" for n in numbers) + f"  {share}{flag}")
    return lines


def report_check(result: CheckResult, as_json: bool) -> None:
    """Print problems (stderr), the study-load table and the summary (stdout), or everything as JSON."""
    summary = _summary(result)
    rows = _module_rows(result)
    if as_json:
        click.echo(json.dumps({"ok": result.ok, "summary": summary, "modules": rows,
                               "problems": [p.as_dict() for p in result.problems.sorted()]}, indent=2))
        return
    for problem in result.problems.sorted():
        click.echo(str(problem), err=problem.severity == "error")
    click.echo("Study load in minutes (claimed may be at most max = derived + 15 %); longest keyed: "
               "single-choice items whose keyed answer is the longest option (warning > 40 %, error > 60 %):")
    for line in _load_table(rows):
        click.echo("  " + line)
    if result.ok:
        click.echo(f"OK: {summary['courses']} courses, {summary['modules']} modules, "
                   f"{summary['quiz_items']} quiz items, {summary['self_assessment_questions']} "
                   f"self-assessment questions ({summary['warnings']} warnings).")
    else:
        click.echo(f"FAILED: {summary['errors']} error(s), {summary['warnings']} warning(s) "
                   f"in {result.content.root}.", err=True)


@courses.command("check")
@click.option("--dir", "directory", type=click.Path(file_okay=False), help=DIR_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--module", "only_modules", multiple=True, metavar="ID",
              help="Show only problems in the files of this module (repeatable); the exit code still covers all.")
@with_appcontext
def check_command(directory: str | None, as_json: bool, only_modules: tuple[str, ...]) -> None:
    """Validate every course file; exit 1 on errors (file:line: message [rule])."""
    result = check_directory(_directory(directory))
    if only_modules:
        result = result.only_modules(only_modules)
    report_check(result, as_json)
    sys.exit(0 if result.ok else 1)


@courses.command("load")
@click.option("--dir", "directory", type=click.Path(file_okay=False), help=DIR_HELP)
@with_appcontext
def load_command(directory: str | None) -> None:
    """Check, then load courses into the database in one transaction (nothing changes on errors)."""
    try:
        changes = load_directory(_directory(directory))
    except LoadRefused as refused:
        report_check(refused.result, as_json=False)
        click.echo("Nothing was loaded: the catalog in the database is unchanged.", err=True)
        sys.exit(1)
    for line in changes.lines():
        click.echo(line)


@courses.command("gift-export")
@click.argument("module_id")
@click.option("--lang", type=click.Choice(["nl", "en"]), default="nl", show_default=True)
@click.option("--dir", "directory", type=click.Path(file_okay=False), help=DIR_HELP)
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-", help="File (default: stdout).")
@with_appcontext
def gift_export(module_id: str, lang: str, directory: str | None, output) -> None:
    """Write a module's post-test pool (from its quiz.yaml) as Moodle GIFT, one language."""
    try:
        output.write(export_gift(_pool(_directory(directory), module_id), lang))
    except GiftError as error:
        raise click.ClickException(str(error)) from None


@courses.command("gift-import")
@click.argument("gift_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--lang", type=click.Choice(["nl", "en"]), required=True, help="The language of the GIFT file.")
@click.option("--module", "module_id", help="Merge the file's texts into this module's pool (same question ids).")
@click.option("--dir", "directory", type=click.Path(file_okay=False), help=DIR_HELP)
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-", help="File (default: stdout).")
@with_appcontext
def gift_import(gift_file: str, lang: str, module_id: str | None, directory: str | None, output) -> None:
    """Read a GIFT file into quiz.yaml form: a new pool, or one language merged into a module's pool.
    Review the result, save it as the module's quiz.yaml and run `courses check`."""
    try:
        items = import_gift(Path(gift_file).read_text(encoding="utf-8"), lang)
        pool = {"pass_mark": 70, "draw": min(8, len(items)), "items": items}
        if module_id:
            pool = dict(_pool(_directory(directory), module_id))
            pool["items"] = merge_language(pool["items"], items, lang)
    except GiftError as error:
        raise click.ClickException(f"{gift_file}: {error}") from None
    except UnicodeDecodeError as error:  # Moodle exports UTF-8; an older export may be Latin-1
        line = Path(gift_file).read_bytes().count(b"\n", 0, error.start) + 1
        raise click.ClickException(f"{gift_file}: line {line} is not UTF-8 text; save the file as UTF-8") from None
    output.write(yaml.safe_dump(pool, allow_unicode=True, sort_keys=False, width=100))


def _pool(root: Path, module_id: str) -> dict:
    """A module's quiz.yaml as written (ids as the text written: `true` stays a string)."""
    path = root / "modules" / module_id / "quiz.yaml"
    if not path.is_file():
        raise click.ClickException(f"{path}: no such quiz file")
    value, problems = yamlsrc.load(path.read_text(encoding="utf-8"))
    if problems or not isinstance(value, dict):
        raise click.ClickException(f"{path}: not valid YAML; run `flask --app elearn courses check`")
    return plain(value)
