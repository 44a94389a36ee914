"""openpyxl against xlsxwriter for results.xlsx's biggest sheet, and results.xlsx's own
writer.

    python benchmarks/xlsx_writers.py [--rows 100000] [--repeat 3] [--writer NAME ...]

Writes one costs.csv-like table (11 columns: text, whole numbers, dates, money) as a
sheet the way results.xlsx holds its tables — bold filled frozen header, autofilter,
column widths, a number format per column, dates as dates, formula-like text kept as
quoted text — once with openpyxl's write-only mode and once with xlsxwriter
(constant_memory), and prints the best of ``--repeat`` runs and the file sizes. It
chose xlsxwriter for results.xlsx (optimizer/report/workbook.py); openpyxl still writes
the template and reads workbooks in the tests. *optimizer* is that writer itself, the
table as its costs sheet (with its columns and run sheets).
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import click
import numpy as np
import pandas as pd
import xlsxwriter
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

from optimizer.report.view import View
from optimizer.report.workbook import write_workbook

FORMATS = {
    "period_start": "yyyy-mm-dd",
    "period_end": "yyyy-mm-dd",
    "amount_usd": "#,##0",
    "discounted_usd": "#,##0",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "#")


def costs(rows: int) -> pd.DataFrame:
    """A costs table of ``rows`` rows with a formula-like location now and then."""
    rng = np.random.default_rng(0)
    period = rng.integers(0, 36, rows)
    start = [dt.date(2027 + p // 12, p % 12 + 1, 1) for p in period]
    locations = np.array(["site-a", "cloud-b", "=1+2", "api-c", "#N/A", "edge-d"])
    return pd.DataFrame(
        {
            "scenario": [f"s{i % 7}" for i in range(rows)],
            "period": period,
            "period_start": start,
            "period_end": start,
            "environment": rng.choice(["onprem", "cloud", "api", "edge"], rows),
            "category": rng.choice(["energy", "rack_capex", "cloud_spot", "api"], rows),
            "cost_type": rng.choice(["capex", "opex"], rows),
            "location": locations[rng.integers(0, len(locations), rows)],
            "region": rng.choice(["eu-north", "us-texas", "ap-sg"], rows),
            "amount_usd": rng.random(rows) * 1e6,
            "discounted_usd": rng.random(rows) * 1e6,
        }
    )


def with_openpyxl(frame: pd.DataFrame, path: Path) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("costs")
    names = list(frame.columns)
    for i in range(len(names)):
        ws.column_dimensions[chr(65 + i)].width = 14
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{chr(64 + len(names))}{len(frame) + 1}"
    header = []
    for name in names:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
        header.append(cell)
    ws.append(header)
    formats = [FORMATS.get(n) for n in names]
    for values in frame.itertuples(index=False, name=None):
        row = []
        for value, fmt in zip(values, formats, strict=True):
            cell = WriteOnlyCell(ws, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
                cell.quotePrefix = value.startswith(FORMULA_STARTS)
            elif fmt is not None:
                cell.number_format = fmt
            row.append(cell)
        ws.append(row)
    wb.save(path)


def with_xlsxwriter(frame: pd.DataFrame, path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("costs")
    names = list(frame.columns)
    head = wb.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F4E79"})
    quoted = wb.add_format({"quote_prefix": True})
    formats = [wb.add_format({"num_format": FORMATS[n]}) if n in FORMATS else None for n in names]
    ws.set_column(0, len(names) - 1, 14)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, len(frame), len(names) - 1)
    ws.write_row(0, 0, names, head)
    for r, values in enumerate(frame.itertuples(index=False, name=None), start=1):
        for c, (value, fmt) in enumerate(zip(values, formats, strict=True)):
            if isinstance(value, str):
                ws.write_string(r, c, value, quoted if value.startswith(FORMULA_STARTS) else None)
            elif isinstance(value, dt.date):
                ws.write_datetime(r, c, value, fmt)
            else:
                ws.write_number(r, c, value, fmt)
    wb.close()


def with_optimizer(frame: pd.DataFrame, path: Path) -> None:
    """results.xlsx's own writer (optimizer/report/workbook.py) with the table as its
    costs sheet: the table's rows as XML (sheet_rows.py), widths from the values, and its
    charts, columns and run sheets (no plan, so no charts)."""
    write_workbook(path, View.of({"costs": frame}, {}))


def best(write: Callable[[pd.DataFrame, Path], None], frame: pd.DataFrame, path: Path, n: int):
    times = []
    for _ in range(n):
        started = time.perf_counter()
        write(frame, path)
        times.append(time.perf_counter() - started)
    return min(times), path.stat().st_size


WRITERS: dict[str, Callable[[pd.DataFrame, Path], None]] = {
    "openpyxl": with_openpyxl,
    "xlsxwriter": with_xlsxwriter,
    "optimizer": with_optimizer,
}


@click.command()
@click.option("--rows", default=100_000, show_default=True)
@click.option("--repeat", default=3, show_default=True)
@click.option("--writer", "only", multiple=True, type=click.Choice(list(WRITERS)))
def main(rows: int, repeat: int, only: tuple[str, ...]) -> None:
    """Time the writers (all, or each --writer given) on one table of ROWS rows."""
    frame = costs(rows)
    with tempfile.TemporaryDirectory() as tmp:
        for name, write in WRITERS.items():
            if only and name not in only:
                continue
            seconds, size = best(write, frame, Path(tmp) / f"{name}.xlsx", repeat)
            click.echo(f"{name:10} {rows:,} rows: {seconds:6.2f} s, {size / 2**20:5.2f} MiB")


if __name__ == "__main__":
    main()
