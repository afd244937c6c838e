"""The `valueproof` command line. Thin: parse options, call one function, print its result.

Heavy libraries are imported inside the commands that need them, so `--help` stays fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from valueproof._version import __version__
from valueproof.safe_text import plain_text

EXPERIMENT = click.Path(path_type=Path)

allow_path = click.option(
    "--allow-path", "allowed_roots", multiple=True, envvar="VALUEPROOF_ALLOW_PATH",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="A folder outside the definition's own whose files it may read (repeatable; also "
         "VALUEPROOF_ALLOW_PATH, folders separated by ':'). Only for definitions you trust.")

connections_file = click.option(
    "--connections", "connections", type=click.Path(path_type=Path, dir_okay=False),
    help="Your named databases (connections.yaml), which definitions name with 'connection:' "
         "(default: VALUEPROOF_CONNECTIONS, else connections.yaml in your configuration folder).")


class Commands(click.Group):
    """The command group; every error message Click prints goes through `plain_text`, so that a
    definition's name, a column or a value quoted in it sends no escape sequence to the
    terminal."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            exc.message = plain_text(exc.message, newlines=True)
            raise


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="valueproof")
def main() -> None:
    """Prove, with honest statistics, that a product delivered value.

    Typical use: `valueproof init my_pilot`, edit my_pilot/experiment.yaml,
    `valueproof validate my_pilot`, `valueproof analyze my_pilot`, then
    `valueproof report my_pilot -o qbr.pdf` (or `valueproof batch` for a whole portfolio).
    """


@main.command()
@click.argument("experiment", type=EXPERIMENT)
@allow_path
@connections_file
def validate(experiment: Path, allowed_roots: tuple[Path, ...], connections: Path | None) -> None:
    """Check an experiment definition and its data; summarise what will be analysed.

    Exit status 0 when the experiment is usable, 2 when it is not.
    """
    from valueproof.cli.terminal import print_validation
    from valueproof.commands.validate import validate as run_validate

    print_validation(run_validate(experiment, allowed_roots, connections))


@main.command()
@click.argument("experiment", type=EXPERIMENT)
@click.option("--json", "json_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the results JSON to this file.")
@allow_path
@connections_file
def analyze(experiment: Path, json_path: Path | None, allowed_roots: tuple[Path, ...],
            connections: Path | None) -> None:
    """Estimate every KPI's effect and print the results table.

    Difference-in-differences per KPI with its confidence interval, p-value adjusted across KPIs,
    pre-trend check and robustness tests; --json writes the full results.
    """
    from valueproof.cli.terminal import print_results, print_value
    from valueproof.commands.pipeline import analyze as run_analyze

    results = run_analyze(experiment, allowed_roots, connections, json_path)
    print_results(results)
    print_value(results)
    if json_path is not None:
        click.echo(f"Results written to {json_path}")


@main.command()
@click.argument("experiment", type=EXPERIMENT)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="PDF file to write.")
@click.option("--html", "html_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write the report as one self-contained HTML file.")
@click.option("--locale", help="Language and number format (default: the definition's locale).")
@click.option("--json", "json_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write the results JSON.")
@click.option("--deck", "deck_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write the slide deck: FILE.pptx (editable, native charts, speaker "
                   "notes) or FILE.pdf (its slides as PDF, needs LibreOffice).")
@allow_path
@connections_file
def report(experiment: Path, output: Path, html_path: Path | None, locale: str | None,
           json_path: Path | None, deck_path: Path | None, allowed_roots: tuple[Path, ...],
           connections: Path | None) -> None:
    """Render the branded Quarterly Business Review PDF of an experiment."""
    from valueproof.commands.preload import report_libraries
    from valueproof.commands.report import make_report

    report_libraries()

    results = make_report(experiment, output, html_path=html_path, locale=locale,
                          json_path=json_path, allowed_roots=allowed_roots,
                          connections=connections, deck=deck_path)
    verdicts = [k.verdict for k in results.kpis]
    line = (f"{len(verdicts)} KPIs: {verdicts.count('improved')} improved, "
            f"{verdicts.count('worsened')} got worse, {verdicts.count('inconclusive')} inconclusive")
    if results.roi is not None:
        from valueproof.cli.terminal import roi_percent

        roi = results.roi
        line += (f"; ROI {roi_percent(roi.roi)} ({roi_percent(roi.roi_low)} – "
                 f"{roi_percent(roi.roi_high)})")
    click.echo(line)
    for warning in results.warnings:
        click.echo(f"  ! {plain_text(warning)}")
    written = [str(path) for path in (html_path, deck_path) if path]
    click.echo(f"Report written to {output}" + "".join(f" and {path}" for path in written))


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--out-dir", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Folder for the PDFs, summary.csv and summary.json.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None,
              help="Reports rendered at once (default: the number of cores).")
@click.option("--locale", help="Language of every report (default: each definition's locale).")
@click.option("--force", is_flag=True, help="Re-render accounts that are up to date.")
@click.option("--html", is_flag=True, help="Also write each report as HTML.")
@click.option("--json", "write_json", is_flag=True, help="Also write each account's results JSON.")
@click.option("--deck", "deck", type=click.Choice(["pptx", "pdf"]),
              help="Also write each account's slide deck: NAME.pptx (editable) or NAME.deck.pdf "
                   "(its slides as PDF, needs LibreOffice).")
@click.option("--fail-fast", is_flag=True, help="Stop at the first account that fails.")
@click.option("--dry-run", is_flag=True, help="List what would be rendered, and why; render nothing.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary table.")
@click.option("--shard", envvar="VALUEPROOF_SHARD", metavar="I/N",
              help="Render only shard I of N (from 1; auto/N: the index a Kubernetes indexed Job "
                   "or CI matrix sets); its summary is summary-shard-I-of-N.json/.csv. "
                   "Put the shards together with batch-merge.")
@click.option("--executor", metavar="dask://HOST:PORT",
              help="Render on an existing Dask cluster (its workers reach the definitions and "
                   "OUTDIR at the same paths) instead of local processes.")
@allow_path
@connections_file
def batch(paths: tuple[Path, ...], out_dir: Path, jobs: int | None, locale: str | None,
          force: bool, html: bool, write_json: bool, deck: str | None, fail_fast: bool,
          dry_run: bool, quiet: bool, shard: str | None, executor: str | None,
          allowed_roots: tuple[Path, ...], connections: Path | None) -> None:
    """Render the QBR of every account: PATHS are experiment files, folders searched for
    experiment.yaml, or portfolio files listing them.

    Unchanged accounts (same definition, data, assets and tool version) are skipped. Exit status
    0 when every account succeeded, 1 when some failed, 2 when the command was misused.
    """
    import os

    from valueproof.commands.batch.plan import BatchOptions, plan_batch
    from valueproof.commands.batch.run import start_workers
    from valueproof.commands.batch.stop import Stopper

    if executor is not None:
        from valueproof.commands.batch.cluster import dask_address

        executor = dask_address(executor)
    if shard is not None:
        from valueproof.commands.batch.shard import parse_shard

        shard = parse_shard(shard)
    options = BatchOptions(out_dir=out_dir, jobs=jobs or os.cpu_count() or 1, locale=locale,
                           force=force, html=html, json=write_json, deck=deck,
                           fail_fast=fail_fast,
                           allowed_roots=tuple(allowed_roots),
                           connections=connections.absolute() if connections else None,
                           shard=shard, executor=executor)
    stopper = Stopper()  # SIGTERM while planning ends it as Ctrl-C does
    try:  # planning hashes every account's data: Ctrl-C may come before any rendering
        stopper.install()
        # the workers start with the first account that needs rendering: their imports (about
        # 2 s) overlap the rest of the planning
        tasks = plan_batch(list(paths), options, dry_run,
                           on_work=lambda: start_workers(options))
    except KeyboardInterrupt:
        click.echo("Interrupted before any report was rendered.", err=True)
        sys.exit(stopper.exit_code)
    finally:
        stopper.restore()
    # the terminal's modules (statistics, report words: about 1 s) only now, while the workers
    # start: the planning, and with it the workers, begins without waiting for them
    from valueproof.cli.terminal import run_batch

    sys.exit(run_batch(tasks, options, dry_run=dry_run, quiet=quiet))


@main.command("batch-merge")
@click.argument("out_dir", type=click.Path(path_type=Path, file_okay=False))
@click.argument("shard_dirs", nargs=-1, required=True,
                type=click.Path(path_type=Path, file_okay=False))
def batch_merge(out_dir: Path, shard_dirs: tuple[Path, ...]) -> None:
    """Put the shards of a batch together: SHARD_DIRS are the output folders of
    `valueproof batch --shard I/N` (every shard once); OUT_DIR gets every account's files and
    the summary an unsplit run writes. Exit status 1 when some account failed."""
    from valueproof.commands.batch.merge import merge_shards

    rows = merge_shards(out_dir, list(shard_dirs))
    counts = {s: sum(row["status"] == s for row in rows)
              for s in ("rendered", "skipped", "failed", "interrupted")}
    click.echo(f"{len(rows)} accounts merged: {counts['rendered']} rendered, {counts['skipped']} "
               f"up to date, {counts['failed']} failed, {counts['interrupted']} interrupted; "
               f"summary in {out_dir / 'summary.csv'}")
    sys.exit(1 if counts["failed"] or counts["interrupted"] else 0)


@main.command()
@click.argument("batch_folder", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the vendor-internal portfolio PDF (it names customers).")
@click.option("--html", "html_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write the review as one self-contained HTML file.")
@click.option("--json", "json_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the pooled results JSON.")
@click.option("--deck", "deck_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write the review as slides: FILE.pptx (editable, native charts, "
                   "speaker notes) or FILE.pdf (its slides as PDF, needs LibreOffice).")
@click.option("--locale", default="en", show_default=True, help="Language of the review.")
@click.option("--method", type=click.Choice(["REML", "PM"]), default="REML", show_default=True,
              help="Between-account variance: REML or Paule–Mandel.")
def portfolio(batch_folder: Path, output: Path | None, html_path: Path | None,
              json_path: Path | None, deck_path: Path | None, locale: str, method: str) -> None:
    """Pool every KPI across the accounts of a batch run with --json (BATCH_FOLDER: its output
    folder, or its summary.json): what the product delivers on average, and how much it varies
    from account to account."""
    from rich.table import Table

    from valueproof.cli.terminal import console
    from valueproof.commands.portfolio import make_portfolio
    from valueproof.commands.report import check_locale_option
    from valueproof.report.portfolio.render import portfolio_words
    from valueproof.report.portfolio.story import reasons as reason_words
    from valueproof.report.portfolio.story import summary_rows
    from valueproof.safe_text import terminal_text as tt

    check_locale_option(locale)
    result = make_portfolio(batch_folder, output, html_path, json_path, locale, method,
                            deck_path)
    table = Table(title_justify="left")
    for name in ("KPI", "Accounts", "Average", "Likely range", "New account", "I²"):
        table.add_column(name, justify="left" if name == "KPI" else "right")
    english = portfolio_words("en")
    why = reason_words(english)
    for row in summary_rows(english, result):
        table.add_row(*(tt(cell) for cell in row))
    out = console()
    out.print(table)
    for item in result.failed:  # no results: left out of every KPI
        out.print(f"  ! {tt(item.account)} left out: {tt(item.detail)}", soft_wrap=True)
    for kpi in result.kpis:
        reasons: dict[str, list[str]] = {}
        for item in kpi.left_out:
            if item.reason != "failed":
                reasons.setdefault(why[item.reason], []).append(item.account)
        for reason, accounts in reasons.items():
            out.print(f"  {tt(kpi.label)}: {reason}: {tt(', '.join(accounts))}", soft_wrap=True)
    written = [str(p) for p in (output, html_path, json_path, deck_path) if p is not None]
    if written:
        click.echo("Portfolio written to " + " and ".join(written))


@main.command()
def schema() -> None:
    """Print the JSON Schema of experiment definitions (for editor autocompletion)."""
    from valueproof.config.schema import Experiment

    document = Experiment.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "valueproof experiment definition"
    click.echo(json.dumps(document, indent=2))


@main.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Write into a folder that is not empty.")
@click.option("--customer", default="Example Customer Ltd", show_default=True,
              help="The customer's name: in the definition, the footer and the logo.")
@click.option("--vendor", default="Your Company", show_default=True,
              help="Your company's name, as the report names the vendor.")
def init(directory: Path, force: bool, customer: str, vendor: str) -> None:
    """Create a working example experiment in DIRECTORY to edit."""
    from valueproof.commands.init import scaffold

    written = scaffold(directory, force=force, customer=customer, vendor=vendor)
    click.echo(f"Created {len(written)} files in {directory}:")
    for path in written:
        click.echo(f"  {path.relative_to(directory)}")
    click.echo(f"Next: valueproof validate {directory / 'experiment.yaml'}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
