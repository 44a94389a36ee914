"""Build the example plans in data/examples/ from the reference catalog in data/catalog/.

    python data/build_examples.py [OUTDIR]     (default: data/examples beside this script)

The catalog CSVs carry a figure per cell plus `source`, `source_date` and `confidence`;
the workbooks carry only the columns of SPEC.md, so those three never reach them.
Catalog rows are picked by id; what is particular to an example (its sites, racks in
place, workloads, scenarios, settings, cloud quotas) is written out below, with the
reasoning in comments. Nothing is random, and the files are byte-for-byte reproducible:
the zip entries and the workbook's document dates are pinned.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import re
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from optimizer.schema import SHEETS as SCHEMA_SHEETS
from optimizer.schema import SHEETS_BY_NAME as SCHEMA_BY_NAME
from optimizer.schema import id_column

Cell = str | int | float | None
Row = dict[str, Cell]
Kind = Literal["text", "num", "int", "bool", "any"]

HERE = Path(__file__).resolve().parent
CATALOG_DIR = HERE / "catalog"
DEFAULT_OUTDIR = HERE / "examples"
META_COLUMNS = ("source", "source_date", "confidence")
FIXED_TIME = (2027, 1, 1, 0, 0, 0)  # zip entry dates: pinned so rebuilds are identical

# The workbook's sheets and columns, from the tool's own schema, with how each cell is written.
_KINDS: dict[str, Kind] = {
    "id": "text",
    "ref": "text",
    "text": "text",
    "enum": "text",
    "date": "text",
    "number": "num",
    "integer": "int",
    "bool": "bool",
}
SHEETS: dict[str, tuple[tuple[str, Kind], ...]] = {
    sheet.name: tuple(
        (c.name, "any" if (sheet.name, c.name) == ("settings", "value") else _KINDS[c.type])
        for c in sheet.columns
    )
    for sheet in SCHEMA_SHEETS
}

# Catalog file -> the workbook sheet whose columns it carries (plus META_COLUMNS).
CATALOG_FILES: dict[str, str] = {
    "regions": "regions.csv",
    "latency": "latency.csv",
    "accelerators": "accelerators.csv",
    "performance": "performance.csv",
    "hardware": "rack_types.csv",
    "cloud": "cloud_offers.csv",
    "apis": "apis.csv",
    "edge": "edge_devices.csv",
}
ID_COLUMN = {name: id_column(SCHEMA_BY_NAME[name]) for name in CATALOG_FILES if name != "latency"}

Catalog = dict[str, list[Row]]
Plan = dict[str, list[Row]]


# --- reading the catalog --------------------------------------------------------------------


def _convert(value: object, kind: Kind, where: str) -> Cell:
    """One cell as the workbook wants it: numbers as numbers, yes/no as text, blank as None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
    if kind == "text":
        return str(value)
    if kind == "bool":
        text = str(value).lower()
        if text in ("yes", "true", "1"):
            return "yes"
        if text in ("no", "false", "0"):
            return "no"
        raise ValueError(f"{where}: expected yes/no, got {value!r}")
    if kind in ("num", "int"):
        if isinstance(value, bool):
            raise ValueError(f"{where}: expected a number, got {value!r}")
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError(f"{where}: expected a number, got {value!r}") from None
        if kind == "int":
            if not number.is_integer():
                raise ValueError(f"{where}: expected a whole number, got {value!r}")
            return int(number)
        return int(number) if number.is_integer() and abs(number) < 1e15 else number
    if isinstance(value, (str, int, float)):
        return value
    return str(value)


def load_catalog(directory: Path = CATALOG_DIR) -> Catalog:
    """Read every catalog CSV; check its columns are the sheet's plus the three meta columns."""
    catalog: Catalog = {}
    for sheet, filename in CATALOG_FILES.items():
        path = directory / filename
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        expected = [name for name, _ in SHEETS[sheet]] + list(META_COLUMNS)
        if list(frame.columns) != expected:
            raise ValueError(f"{path}: columns {list(frame.columns)}, expected {expected}")
        rows: list[Row] = []
        for number, record in enumerate(frame.to_dict("records"), start=2):
            for meta in META_COLUMNS:
                if not str(record[meta]).strip():
                    raise ValueError(f"{path}, line {number}: blank {meta}")
            rows.append(
                {
                    name: _convert(record[name], kind, f"{path}, line {number}, {name}")
                    for name, kind in SHEETS[sheet]
                }
            )
        catalog[sheet] = rows
    return catalog


def pick(
    catalog: Catalog,
    sheet: str,
    ids: Sequence[str],
    overrides: Mapping[str, Row] | None = None,
) -> list[Row]:
    """Catalog rows of `sheet` with these ids, in this order, with per-id column overrides."""
    key = ID_COLUMN[sheet]
    by_id = {str(row[key]): row for row in catalog[sheet]}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise KeyError(f"not in the {sheet} catalog: {', '.join(missing)}")
    overrides = overrides or {}
    unknown = set(overrides) - set(ids)
    if unknown:
        raise KeyError(f"overrides for {sheet} rows not picked: {', '.join(sorted(unknown))}")
    return [{**by_id[i], **overrides.get(i, {})} for i in ids]


def latency_between(catalog: Catalog, regions: Iterable[str]) -> list[Row]:
    """Every catalog RTT whose two ends are both among `regions`."""
    wanted = set(regions)
    return [
        row
        for row in catalog["latency"]
        if row["from_region"] in wanted and row["to_region"] in wanted
    ]


def complete(catalog: Catalog, plan: Plan) -> Plan:
    """Add the accelerators the plan's racks, offers and devices use, and their throughputs
    for the plan's models."""
    used: list[str] = []
    for sheet in ("hardware", "cloud", "edge"):
        for row in plan.get(sheet, []):
            name = str(row["accelerator"])
            if name not in used:
                used.append(name)
    models = {row["model"] for row in plan["workloads"] if row["kind"] == "inference"}
    models |= {row["model"] for row in plan.get("apis", [])}
    plan["accelerators"] = pick(catalog, "accelerators", used)
    plan["performance"] = [
        row
        for row in catalog["performance"]
        if row["accelerator"] in used and row["model"] in models
    ]
    return plan


# --- building rows --------------------------------------------------------------------------


def settings(**values: Cell) -> list[Row]:
    return [{"key": key, "value": value} for key, value in values.items()]


def yes_no(flag: bool | None) -> str | None:
    return None if flag is None else ("yes" if flag else "no")


def site(
    name: str,
    region: str,
    *,
    power_kw: float,
    air_kw: float,
    liquid_kw: float,
    slots: int,
    max_air_rack_kw: float,
    pue: float,
    price: float | None = None,
    existing: bool = False,
    build_cost: float | None = None,
    lead: int | None = None,
    fixed_opex: float,
) -> Row:
    return {
        "site": name,
        "region": region,
        "power_capacity_kw": power_kw,
        "cooling_air_kw": air_kw,
        "cooling_liquid_kw": liquid_kw,
        "rack_slots": slots,
        "max_air_rack_kw": max_air_rack_kw,
        "pue": pue,
        "power_price_usd_per_kwh": price,
        "existing": yes_no(existing),
        "build_cost_usd": None if existing else build_cost,
        "build_lead_periods": None if existing else lead,
        "fixed_opex_usd_per_year": fixed_opex,
    }


def _workload(kind: str, name: str, model: str, region: str, demand: float, **kw: Cell) -> Row:
    """A workloads row: the columns both kinds share, then those ``kw`` sets."""
    return {
        "workload": name,
        "kind": kind,
        "model": model,
        "user_region": region,
        "demand": demand,
        "demand_unit": "mtok_per_day" if kind == "inference" else "h100_hours_per_month",
        **kw,
    }


def inference(
    name: str,
    model: str,
    region: str,
    mtok_per_day: float,
    *,
    growth: float = 0.0,
    peak: float = 1.0,
    latency_ms: float | None = None,
    residency: str = "any",
    cloud: bool = True,
    api: bool = True,
    edge: bool = False,
    sensitive: bool = False,
    interruptible: bool = False,
    start: int | None = None,
    end: int | None = None,
) -> Row:
    return _workload(
        "inference",
        name,
        model,
        region,
        mtok_per_day,
        growth_per_year=growth,
        peak_factor=peak,
        max_latency_ms=latency_ms,
        residency=residency,
        allow_cloud=yes_no(cloud),
        allow_api=yes_no(api),
        allow_edge=yes_no(edge),
        sensitive=yes_no(sensitive),
        interruptible=yes_no(interruptible),
        start_period=start,
        end_period=end,
    )


def in_requests(row: Row, per_second: float, tokens_per_request: float) -> Row:
    """An inference row's demand stated as requests a second with their tokens; the row's
    million tokens a day must be what they convert to (optimizer.workbook_checks)."""
    assert per_second * tokens_per_request * 86_400 / 1e6 == row["demand"]
    return row | {
        "demand": per_second,
        "demand_unit": "requests_per_second",
        "tokens_per_request": tokens_per_request,
    }


def training(
    name: str,
    model: str,
    region: str,
    h100_hours_per_month: float,
    *,
    growth: float = 0.0,
    residency: str = "any",
    cloud: bool = True,
    sensitive: bool = False,
    interruptible: bool = True,
    start: int | None = None,
    end: int | None = None,
) -> Row:
    return _workload(
        "training",
        name,
        model,
        region,
        h100_hours_per_month,
        growth_per_year=growth,
        peak_factor=None,
        max_latency_ms=None,
        residency=residency,
        allow_cloud=yes_no(cloud),
        allow_api="no",  # APIs serve inference only
        allow_edge="no",
        sensitive=yes_no(sensitive),
        interruptible=yes_no(interruptible),
        start_period=start,
        end_period=end,
    )


def scenario(name: str, probability: float | None, *overrides: tuple[str, str, float]) -> list[Row]:
    return [
        {
            "scenario": name,
            "parameter": parameter,
            "target": target,
            "value": value,
            "probability": probability,
        }
        for parameter, target, value in overrides
    ]


# --- the examples ---------------------------------------------------------------------------


def seed_article(catalog: Catalog) -> Plan:
    """The seed article's story, small enough to read in one sitting.

    A chatbot for 2 million users (50 million tokens a day, +50 % a year) in Virginia;
    sporadic fine-tuning that may be interrupted; a quality-control vision model on a
    factory floor in Finland that needs < 10 ms (no site or cloud offer is that close, so
    it is an edge device or nothing); an EU assistant whose data stays in the EU (Norway is
    jurisdiction NO, so not there); two candidate sites, Norway on cheap hydro power and
    Texas; H100s to rent from hyperscalers and neoclouds; a token API at USD 2.50 per
    million tokens.
    """
    regions = ["us-east-va", "us-texas", "no-south", "eu-west-ie", "eu-central-de", "eu-north-fi"]
    # fmt: off
    sites = [
        # a colo cage near Dallas: all-in industrial power with delivery ~8.5 c/kWh
        site("tx-dallas-colo", "us-texas", power_kw=800, air_kw=800, liquid_kw=0, slots=16,
             max_air_rack_kw=45, pue=1.4, price=0.085, build_cost=250_000, lead=1,
             fixed_opex=180_000),
        # a hall in southern Norway on a hydro contract at ~4 c/kWh, cool air, low PUE
        site("no-oslo-hydro", "no-south", power_kw=1_200, air_kw=1_200, liquid_kw=0, slots=24,
             max_air_rack_kw=45, pue=1.15, price=0.04, build_cost=600_000, lead=2,
             fixed_opex=240_000),
    ]
    workloads = [
        inference("chatbot", "llama-70b", "us-east-va", 50, growth=0.5, peak=2.0,
                  latency_ms=150),
        training("finetune", "llama-70b", "us-east-va", 15_000, growth=0.5),
        inference("factory-qc", "qc-vision", "eu-north-fi", 20, growth=0.2, peak=3.0,
                  latency_ms=10, api=False, edge=True, sensitive=True),
        inference("eu-assistant", "llama-70b", "eu-central-de", 15, growth=0.3, peak=2.0,
                  latency_ms=100, residency="jurisdiction", sensitive=True),
    ]
    # fmt: on
    offers = [
        "aws-use1-h100-od",
        "aws-use1-h100-spot",
        "aws-use1-h100-cb",
        "aws-euc1-h100-od",
        "azure-eastus-h100-od",
        "azure-northeu-h100-od",
        "azure-northeu-h100-ri1y",
        "lambda-tx-h100-od",
        "lambda-tx-h100-res",
        "runpod-de-h100-od",
        "vast-tx-h100-spot",
        "nordicneo-no-h100-od",
        "nordicneo-no-h100-res",
    ]
    # Neocloud capacity is thin: quotas in accelerators at once (example-specific).
    quotas = {
        "aws-use1-h100-spot": 32,
        "lambda-tx-h100-res": 16,
        "vast-tx-h100-spot": 16,
        "nordicneo-no-h100-res": 16,
    }
    plan: Plan = {
        "settings": settings(
            horizon_years=3,
            period="quarter",
            start_date="2027-01-01",
            currency="USD",
            discount_rate=0,
            residual_value="straight_line",
        ),
        "regions": pick(catalog, "regions", regions),
        "latency": latency_between(catalog, regions),
        "sites": sites,
        "hardware": pick(catalog, "hardware", ["h100-dgx4-air", "h100-dgx2-air"]),
        "installed": [],
        "cloud": pick(
            catalog, "cloud", offers, {o: {"max_accelerators": n} for o, n in quotas.items()}
        ),
        "apis": pick(catalog, "apis", ["tokenapi-us-70b"]),
        "edge": pick(catalog, "edge", ["edge-l4x2"]),
        "workloads": workloads,
        # At the base demand renting wins; at four times it a site starts to pay.
        "scenarios": [
            *scenario("viral-growth", 0.2, ("demand_multiplier", "*", 4.0)),
            *scenario("norway-dry-year", 0.3, ("power_price_usd_per_kwh", "no-oslo-hydro", 0.09)),
            *scenario(
                "cheap-cloud",
                0.5,
                ("cloud_price_multiplier", "*", 0.7),
                ("api_price_multiplier", "*", 0.7),
            ),
        ],
    }
    return complete(catalog, plan)


def hybrid_enterprise(catalog: Catalog) -> Plan:
    """A larger enterprise: 8 regions in 4 jurisdictions, 13 sites (4 existing with racks),
    six rack types, 33 cloud offers, 3 APIs, 2 edge devices, 35 workloads, 4 scenarios.

    Sized for a MILP solver: well under a thousand integer rack decisions over 12 quarters,
    most (workload, option) pairs cut by residency and latency.
    """
    regions = [
        "us-east-va",
        "us-texas",
        "us-west-or",
        "eu-west-ie",
        "eu-central-de",
        "eu-north-fi",
        "no-south",
        "ap-southeast-sg",
    ]
    # fmt: off
    sites = [
        # existing halls: open from period 0, racks in place (see `installed`)
        site("va-ashburn-1", "us-east-va", power_kw=1_500, air_kw=1_500, liquid_kw=0, slots=40,
             max_air_rack_kw=45, pue=1.5, existing=True, fixed_opex=600_000),
        # an older room that takes ~25 kW air racks: H100 2-system racks, not the 40.8 kW ones
        site("de-frankfurt-1", "eu-central-de", power_kw=600, air_kw=600, liquid_kw=0, slots=20,
             max_air_rack_kw=25, pue=1.6, existing=True, fixed_opex=400_000),
        site("ie-dublin-1", "eu-west-ie", power_kw=800, air_kw=800, liquid_kw=0, slots=24,
             max_air_rack_kw=41, pue=1.45, existing=True, fixed_opex=450_000),
        site("sg-jurong-1", "ap-southeast-sg", power_kw=400, air_kw=400, liquid_kw=0, slots=12,
             max_air_rack_kw=30, pue=1.55, existing=True, fixed_opex=350_000),
        # candidate new builds
        site("tx-abilene-campus", "us-texas", power_kw=6_000, air_kw=1_000, liquid_kw=5_000,
             slots=60, max_air_rack_kw=45, pue=1.25, price=0.08, build_cost=12_000_000, lead=2,
             fixed_opex=1_200_000),
        # a colo suite for racks up to 30 kW air: B200 and H100 2-system racks only
        site("tx-dallas-colo", "us-texas", power_kw=1_200, air_kw=1_200, liquid_kw=0, slots=30,
             max_air_rack_kw=30, pue=1.4, price=0.085, build_cost=500_000, lead=1,
             fixed_opex=900_000),
        site("va-manassas-new", "us-east-va", power_kw=3_000, air_kw=1_000, liquid_kw=2_000,
             slots=40, max_air_rack_kw=45, pue=1.3, build_cost=9_000_000, lead=2,
             fixed_opex=900_000),
        site("or-hillsboro-new", "us-west-or", power_kw=2_000, air_kw=800, liquid_kw=1_200,
             slots=30, max_air_rack_kw=41, pue=1.3, build_cost=9_000_000, lead=3,
             fixed_opex=800_000),
        site("no-oslo-new", "no-south", power_kw=4_000, air_kw=1_000, liquid_kw=3_000, slots=40,
             max_air_rack_kw=45, pue=1.15, price=0.045, build_cost=6_000_000, lead=2,
             fixed_opex=800_000),
        # liquid only, the cheapest power, the longest lead
        site("no-stavanger-hydro", "no-south", power_kw=8_000, air_kw=0, liquid_kw=8_000,
             slots=60, max_air_rack_kw=0, pue=1.1, price=0.035, build_cost=15_000_000, lead=3,
             fixed_opex=1_000_000),
        site("fi-hamina-new", "eu-north-fi", power_kw=3_000, air_kw=1_000, liquid_kw=2_000,
             slots=40, max_air_rack_kw=41, pue=1.2, build_cost=7_000_000, lead=2,
             fixed_opex=700_000),
        site("de-frankfurt-colo", "eu-central-de", power_kw=1_000, air_kw=1_000, liquid_kw=0,
             slots=25, max_air_rack_kw=25, pue=1.45, build_cost=300_000, lead=1,
             fixed_opex=1_100_000),
        site("sg-tuas-new", "ap-southeast-sg", power_kw=1_500, air_kw=500, liquid_kw=1_000,
             slots=20, max_air_rack_kw=30, pue=1.35, build_cost=6_000_000, lead=3,
             fixed_opex=900_000),
    ]
    installed = [
        {"site": "va-ashburn-1", "rack_type": "h100-dgx4-air", "racks": 8},
        {"site": "de-frankfurt-1", "rack_type": "h100-dgx2-air", "racks": 6},
        {"site": "ie-dublin-1", "rack_type": "h100-dgx4-air", "racks": 4},
        {"site": "ie-dublin-1", "rack_type": "h200-dgx4-air", "racks": 2},
        {"site": "sg-jurong-1", "rack_type": "h100-dgx2-air", "racks": 4},
    ]
    workloads = [
        # chat and assistants on llama-70b, peaks at twice the average
        inference("chat-us-east", "llama-70b", "us-east-va", 1_200, growth=0.5, peak=2.0,
                  latency_ms=100),
        inference("chat-us-west", "llama-70b", "us-west-or", 250, growth=0.5, peak=2.0,
                  latency_ms=100),
        inference("chat-eu", "llama-70b", "eu-west-ie", 800, growth=0.6, peak=2.0,
                  latency_ms=100, residency="jurisdiction"),
        inference("chat-de", "llama-70b", "eu-central-de", 150, growth=0.4, peak=2.0,
                  latency_ms=80, residency="jurisdiction", sensitive=True),
        inference("chat-no", "llama-70b", "no-south", 40, growth=0.3, peak=2.0,
                  latency_ms=60, residency="jurisdiction"),
        inference("chat-sg", "llama-70b", "ap-southeast-sg", 120, growth=0.8, peak=2.0,
                  latency_ms=80, residency="region"),
        inference("legacy-chat-sg", "llama-70b", "ap-southeast-sg", 60, peak=2.0, end=5),
        inference("code-assist-us", "llama-70b", "us-texas", 200, growth=0.7, peak=1.5,
                  latency_ms=60, sensitive=True),
        inference("agent-pilot-us", "llama-70b", "us-east-va", 80, growth=1.5, peak=2.0,
                  latency_ms=100, start=2, end=9),
        inference("agent-pilot-eu", "llama-70b", "eu-west-ie", 50, growth=2.0, peak=2.0,
                  latency_ms=100, residency="jurisdiction", start=3),
        inference("marketing-gen", "llama-70b", "us-east-va", 100, growth=0.2, peak=1.2),
        # overnight batch: no latency limit, may be interrupted (spot)
        inference("summarize-batch-us", "llama-70b", "us-texas", 800, growth=0.3,
                  interruptible=True),
        inference("summarize-batch-eu", "llama-70b", "eu-north-fi", 300, growth=0.3,
                  residency="jurisdiction", interruptible=True),
        # small-model services on llama-8b
        inference("rag-search-us", "llama-8b", "us-east-va", 600, growth=0.4, peak=1.5,
                  latency_ms=50),
        inference("rag-search-eu", "llama-8b", "eu-central-de", 300, growth=0.4, peak=1.5,
                  latency_ms=50, residency="jurisdiction", sensitive=True),
        inference("translate-eu", "llama-8b", "eu-central-de", 200, growth=0.3, peak=1.5,
                  latency_ms=80, residency="jurisdiction"),
        inference("doc-extract-ie", "llama-8b", "eu-west-ie", 100, growth=0.2, peak=1.2,
                  residency="region", sensitive=True),
        inference("hr-assistant-no", "llama-8b", "no-south", 10, growth=0.1, peak=2.0,
                  residency="region", sensitive=True),
        inference("support-bot-sg", "llama-8b", "ap-southeast-sg", 80, growth=0.6, peak=2.0,
                  latency_ms=60, residency="jurisdiction"),
        inference("fraud-scoring-us", "llama-8b", "us-east-va", 150, growth=0.2, peak=3.0,
                  latency_ms=20, api=False, sensitive=True),
        # stated as its team states it: 2 requests a second of 700 tokens (120.96 mtok/day)
        in_requests(inference("voice-assistant-us", "llama-8b", "us-west-or", 120.96,
                              growth=0.6, peak=2.5, latency_ms=30), 2, 700),
        # factory vision under 10 ms: edge devices allowed
        inference("qc-vision-fi", "qc-vision", "eu-north-fi", 30, growth=0.3, peak=3.0,
                  latency_ms=10, residency="region", api=False, edge=True, sensitive=True),
        inference("qc-vision-tx", "qc-vision", "us-texas", 20, growth=0.5, peak=3.0,
                  latency_ms=10, api=False, edge=True, start=2),
        inference("qc-vision-sg", "qc-vision", "ap-southeast-sg", 15, growth=0.4, peak=3.0,
                  latency_ms=10, api=False, edge=True, start=4),
        # training, in H100-hours a month
        training("pretrain-foundation", "foundation-v2", "us-west-or", 300_000, growth=0.5,
                 interruptible=False, start=2, end=9),
        training("rlhf-research", "llama-70b", "us-west-or", 60_000, growth=0.8,
                 interruptible=False, start=4),
        training("finetune-us", "llama-70b", "us-east-va", 30_000, growth=0.3),
        training("eval-sweeps", "llama-70b", "us-texas", 10_000, growth=0.5),
        training("distill-8b", "llama-8b", "us-texas", 25_000, start=1, end=6),
        training("finetune-eu", "llama-70b", "eu-central-de", 20_000, growth=0.3,
                 residency="jurisdiction", sensitive=True),
        training("continual-pretrain-eu", "foundation-eu", "eu-north-fi", 100_000, growth=0.4,
                 residency="jurisdiction", interruptible=False, start=3),
        training("vision-train", "qc-vision", "eu-central-de", 8_000, growth=0.2,
                 residency="jurisdiction"),
        training("safety-evals-ie", "llama-70b", "eu-west-ie", 4_000, growth=0.5,
                 residency="region", sensitive=True),
        training("finetune-no", "llama-8b", "no-south", 5_000, growth=0.2, residency="region"),
        training("finetune-sg", "llama-8b", "ap-southeast-sg", 6_000, growth=0.3,
                 residency="region"),
    ]
    # fmt: on
    offers = [
        "aws-use1-h100-od",
        "aws-use1-h100-spot",
        "aws-use1-h100-cb",
        "aws-use1-b200-od",
        "aws-use1-a10g-od",
        "aws-usw2-h100-od",
        "aws-usw2-h100-spot",
        "aws-euw1-h100-od",
        "aws-euc1-h100-od",
        "aws-euc1-h100-spot",
        "aws-euc1-h100-ri1y",
        "aws-apse1-h100-od",
        "aws-apse1-h100-spot",
        "azure-eastus-h100-od",
        "azure-eastus-h100-ri1y",
        "azure-eastus-a100-od",
        "azure-northeu-h100-od",
        "azure-northeu-h100-ri1y",
        "azure-norwayeast-h100-od",
        "azure-sea-h100-od",
        "azure-sea-h100-ri3y",
        "lambda-tx-h100-od",
        "lambda-tx-h100-res",
        "lambda-or-h100-od",
        "lambda-tx-b200-od",
        "runpod-tx-h100-od",
        "runpod-de-h100-od",
        "vast-tx-h100-spot",
        "vast-de-h100-spot",
        "nordicneo-no-h100-od",
        "nordicneo-no-h100-res",
        "nordicneo-fi-h100-od",
        "nordicneo-fi-gb200-res",
    ]
    # Quotas (accelerators at once) on the cheap and the scarce offers; example-specific.
    quotas = {
        "aws-use1-h100-spot": 64,
        "aws-usw2-h100-spot": 64,
        "aws-euc1-h100-spot": 32,
        "aws-apse1-h100-spot": 32,
        "aws-use1-b200-od": 128,
        "lambda-tx-h100-od": 256,
        "lambda-tx-h100-res": 128,
        "lambda-or-h100-od": 128,
        "lambda-tx-b200-od": 64,
        "runpod-tx-h100-od": 128,
        "runpod-de-h100-od": 64,
        "vast-tx-h100-spot": 64,
        "vast-de-h100-spot": 32,
        "nordicneo-no-h100-od": 128,
        "nordicneo-no-h100-res": 64,
        "nordicneo-fi-h100-od": 128,
        "nordicneo-fi-gb200-res": 144,
    }
    racks = [
        "h100-dgx4-air",
        "h100-dgx2-air",
        "h200-dgx4-air",
        "b200-dgx2-air",
        "b200-hgx4-liquid",
        "gb200-nvl72-liquid",
    ]
    plan: Plan = {
        "settings": settings(
            horizon_years=3,
            period="quarter",
            start_date="2027-01-01",
            currency="USD",
            discount_rate=0.08,
            residual_value="straight_line",
            intra_region_rtt_ms=5,
            edge_rtt_ms=1,
            max_utilization=0.85,
            mip_gap=0.005,
            time_limit_s=120,
        ),
        "regions": pick(catalog, "regions", regions),
        "latency": latency_between(catalog, regions),
        "sites": sites,
        "hardware": pick(catalog, "hardware", racks),
        "installed": list(installed),
        "cloud": pick(
            catalog, "cloud", offers, {o: {"max_accelerators": n} for o, n in quotas.items()}
        ),
        "apis": pick(catalog, "apis", ["tokenapi-us-70b", "tokenapi-eu-70b", "budgetapi-us-70b"]),
        "edge": pick(catalog, "edge", ["edge-l4x2", "edge-orin"]),
        "workloads": workloads,
        # Probabilities 0.3 + 0.4 + 0.2 + 0.1 = 1 (the base case carries none). No two rows of
        # a scenario overlap on (parameter, target), so no combination rule is needed beyond
        # SPEC's (an absolute power price first, then multipliers).
        "scenarios": [
            *scenario(
                "texas-power-shock",
                0.3,
                ("power_price_usd_per_kwh", "us-texas", 0.15),
                ("power_price_multiplier", "*", 1.2),
            ),
            *scenario(
                "cheap-cloud",
                0.4,
                ("cloud_price_multiplier", "aws", 0.6),
                ("cloud_price_multiplier", "azure", 0.6),
                ("cloud_price_multiplier", "nordic-neocloud", 0.8),
                ("api_price_multiplier", "*", 0.5),
            ),
            *scenario(
                "high-demand",
                0.2,
                ("demand_multiplier", "us-east-va", 1.6),
                ("demand_multiplier", "pretrain-foundation", 1.5),
                ("demand_multiplier", "chat-eu", 1.4),
            ),
            *scenario(
                "nordic-dry-year",
                0.1,
                ("power_price_multiplier", "no-south", 2.5),
                ("power_capacity_multiplier", "no-stavanger-hydro", 0.75),
            ),
        ],
    }
    return complete(catalog, plan)


EXAMPLES = {
    "seed-article.xlsx": seed_article,
    "hybrid-enterprise.xlsx": hybrid_enterprise,
}


# --- writing --------------------------------------------------------------------------------


def write_workbook(plan: Plan, path: Path) -> None:
    """Every sheet of SPEC.md in its order: lower-case header in row 1, data from row 2.

    Written to a temporary file and moved into place, so a failed run leaves no half file.
    """
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    workbook.properties.creator = "capacity-optimizer data/build_examples.py"
    for sheet, columns in SHEETS.items():
        names = [name for name, _ in columns]
        unknown = {c for row in plan.get(sheet, []) for c in row} - set(names)
        if unknown:
            raise ValueError(f"sheet {sheet}: columns not in SPEC.md: {sorted(unknown)}")
        ws = workbook.create_sheet(sheet)
        ws.append(names)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        widths = [len(name) for name in names]
        for number, row in enumerate(plan.get(sheet, []), start=2):
            values = [
                _convert(row.get(name), kind, f"{path.name}, {sheet}, row {number}, {name}")
                for name, kind in columns
            ]
            ws.append(values)
            widths = [
                max(w, len(str(v)) if v is not None else 0)
                for w, v in zip(widths, values, strict=True)
            ]
        for index, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = min(width + 2, 40)
        ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = _pin_dates(buffer.getvalue())
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; a workbook is for sharing
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _pin_dates(xlsx: bytes) -> bytes:
    """The same workbook with fixed zip entry times and document dates (reproducible)."""
    stamp = b"2027-01-01T00:00:00Z"
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                    rb"\g<1>" + stamp + rb"\g<2>",
                    data,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, data)
    return out.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write the example plans (xlsx) from the reference catalog in data/catalog/."
    )
    parser.add_argument(
        "outdir",
        nargs="?",
        type=Path,
        default=DEFAULT_OUTDIR,
        help=f"folder for the workbooks (default: {DEFAULT_OUTDIR})",
    )
    args = parser.parse_args(argv)
    catalog = load_catalog()
    for filename, build in EXAMPLES.items():
        plan = build(catalog)
        path = args.outdir / filename
        write_workbook(plan, path)
        counts = ", ".join(f"{len(plan.get(s, []))} {s}" for s in ("sites", "workloads", "cloud"))
        print(f"wrote {path} ({counts})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
