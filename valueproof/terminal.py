"""What the CLI prints: rich tables built from the stages' plain results."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from valueproof.validate import Validation


def console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def print_findings(out: Console, findings) -> None:
    if not findings:
        out.print("[green]No data-quality warnings.[/green]")
        return
    out.print(f"[yellow]{len(findings)} warning(s):[/yellow]")
    for finding in findings:
        out.print(f"  [yellow]![/yellow] {finding.message}")


def print_validation(result: Validation) -> None:
    experiment, data = result.experiment, result.dataset
    out = console()
    out.print(f"[bold]{experiment.name}[/bold]  ({data.source})")
    out.print(
        f"Design: {data.design.replace('_', ' ')}; rollout {data.rollout}; "
        f"pre {data.pre.start} – {data.pre.end}; post {data.post.start} – {data.post.end}; "
        f"{data.rows_used:,} of {data.rows_read:,} rows used"
    )
    cells = Table(title="Units and observations", title_justify="left")
    for name in ("Group", "Window", "Units", "Observations", "First", "Last"):
        cells.add_column(name, justify="right" if name in ("Units", "Observations") else "left")
    for cell in data.cells:
        cells.add_row(cell.arm, cell.window, f"{cell.units:,}", f"{cell.observations:,}",
                      str(cell.first), str(cell.last))
    out.print(cells)
    kpis = Table(title="KPIs", title_justify="left")
    for name in ("KPI", "Aggregate", "Better", "Columns", "Missing"):
        kpis.add_column(name, justify="right" if name == "Missing" else "left")
    for kpi in experiment.kpis:
        missing, rows = data.missing[kpi.id]
        kpis.add_row(kpi.display_label, kpi.aggregate + (" (log)" if kpi.transform == "log" else ""),
                     kpi.better, ", ".join(kpi.columns) or "(rows)", f"{missing / rows:.1%}")
    out.print(kpis)
    print_findings(out, data.findings)
    out.print("[green]Usable:[/green] valueproof can analyse this experiment.")
