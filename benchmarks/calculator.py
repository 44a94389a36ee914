"""The calculator's speed, measured as a user meets it: in Debian's chromium, on the page.

    python benchmarks/calculator.py OUT_DIR [--changes 50] [--seed 0] [--finals 2]

For each example (seed-article, hybrid-enterprise) starts `optimize serve` on a copy of
the workbook (a free port of 127.0.0.1), opens the page in /usr/bin/chromium through
Playwright, and makes ``--changes`` random changes (seeded): a control of a random
what-if parameter aimed at a random target of the plan's own, or a buy-or-rent setting,
given a random value in a plausible range, one change at a time, the next as soon as
the page shows the answer measured. The time of a change runs in the page, from the
control's change event to the frame that shows the figures:

- seed-article: the final (certified) figures; target: 95th percentile at most 1 s;
- hybrid-enterprise: the held-plan figures with the bound (the answer at once); target:
  95th percentile at most 0.5 s. The worker's own CPU seconds for that answer are
  recorded beside the wall time (the machine may be shared).

Then, on hybrid-enterprise, ``--finals`` single overrides from the workbook as it is:
the time from the change to the final figures on the page, against `optimize` solving
the same override (the page's "Save as scenario" workbook run with ``--scenario``), the
two objectives compared. Writes OUT_DIR/calculator.json, calculator.md (the tables
docs/calculator.md shows) and screenshots (PNG).
"""

from __future__ import annotations

import json
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import click
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the launcher the calculator's tests use

from calculator_server import LAUNCH, running  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
EXAMPLES = ROOT / "data" / "examples"
TARGETS_S = {"seed-article": 1.0, "hybrid-enterprise": 0.5}
RANGES = {  # parameter -> (low, high, decimals)
    "power_price_usd_per_kwh": (0.03, 0.30, 3),
    "power_price_multiplier": (0.5, 2.0, 2),
    "cloud_price_multiplier": (0.5, 2.0, 2),
    "api_price_multiplier": (0.5, 2.0, 2),
    "demand_multiplier": (0.5, 2.0, 2),
    "power_capacity_multiplier": (0.5, 2.0, 2),
    "carbon_price_usd_per_t": (0.0, 200.0, 0),
    "discount_rate": (0.03, 0.12, 3),
    "max_utilization": (0.6, 0.95, 2),
}
COSTS = (  # a change of these changes costs only: the kept LPs take it as new costs
    "power_price_usd_per_kwh",
    "power_price_multiplier",
    "cloud_price_multiplier",
    "api_price_multiplier",
    "carbon_price_usd_per_t",
    "discount_rate",
    "residual_value",
)
FINALS = [
    ("power_price_multiplier", "*", 1.5),
    ("cloud_price_multiplier", "*", 0.6),
    ("api_price_multiplier", "*", 0.5),
]
# set a control's target and value as one change (setting them by script fires no event),
# then fire the change the user's typing fires; the moment it is fired
SET = """([kind, index, target, value]) => {
  const row = document.querySelectorAll(kind === "setting" ? "#settings .row" :
    "#parameters .row")[index];
  if (target !== null) row.querySelector("select.target").value = target;
  const input = row.querySelector(".value");
  input.value = String(value);
  const t0 = performance.now();
  input.dispatchEvent(new Event("change"));
  return t0;
}"""
# the frame at which the page shows the answer awaited for change ``sent``
SHOWN = """([sent, which]) => document.body.dataset.sent === sent &&
  document.body.dataset[which] === sent ? performance.now() : false"""


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else 0


def _controls(page: Page) -> list[tuple[str, int, str, list[str]]]:
    """(kind, index, name, targets) of every control on the page."""
    found = page.evaluate(
        """() => [
      ...Array.from(document.querySelectorAll("#parameters .row")).map((row, i) =>
        ["parameter", i, row.querySelector(".param").value,
         Array.from(row.querySelectorAll("select.target option")).map((o) => o.value)]),
      ...Array.from(document.querySelectorAll("#settings .row")).map((row, i) =>
        ["setting", i, row.dataset.setting,
         Array.from(row.querySelectorAll("select.value option")).map((o) => o.value)])]"""
    )
    return [tuple(c) for c in found if c[2] in RANGES or c[2] == "residual_value"]


def _value(rng: random.Random, name: str, choices: list[str]) -> object:
    if name == "residual_value":
        return rng.choice(choices)
    low, high, decimals = RANGES[name]
    return round(rng.uniform(low, high), decimals)


def change(page: Page, kind: str, index: int, target: str | None, value: object, which: str):
    """Make one change; (seconds from the change event to the answer shown, its state)."""
    sent = int(page.evaluate("Number(document.body.dataset.sent || 0)")) + 1
    t0 = page.evaluate(SET, [kind, index, target, value])
    t1 = page.wait_for_function(SHOWN, arg=[str(sent), which], polling="raf", timeout=900_000)
    return (t1.json_value() - t0) / 1000, page.evaluate("current")


def random_changes(page: Page, n: int, seed: int, which: str) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    controls = _controls(page)
    out = []
    for _ in range(n):
        kind, index, name, targets = rng.choice(controls)
        target = rng.choice(targets) if kind == "parameter" else None
        value = _value(rng, name, targets)
        seconds, state = change(page, kind, index, target, value, which)
        quick = state.get(which) or {}
        out.append(
            {
                "parameter": name,
                "target": target,
                "value": value,
                "costs_only": name in COSTS,
                "seconds": seconds,
                "worker_seconds": quick.get("seconds"),
                "worker_cpu_seconds": quick.get("cpu_seconds"),
                "bound": quick.get("bound_usd") is not None,
                "status": quick.get("status"),
            }
        )
    return out


def final_against_cli(page: Page, plan: Path, n: int, out: Path) -> list[dict[str, Any]]:
    """Single overrides from the workbook as it is: the page's final answer against the
    command's solve of the same override."""
    found = []
    for i, (name, target, value) in enumerate(FINALS[:n]):
        page.click("#reset")
        page.wait_for_function(
            "() => document.body.dataset.final === document.body.dataset.sent", timeout=900_000
        )
        index = next(c[1] for c in _controls(page) if c[0] == "parameter" and c[2] == name)
        seconds, state = change(page, "parameter", index, target, value, "final")
        scenario = f"bench-{i}"
        page.fill("#save-name", scenario)
        page.fill("#save-probability", "0.1")
        page.fill("#save-file", f"{scenario}.xlsx")
        page.click("#save")
        page.wait_for_selector("#save-done:has-text('Saved'), #save-error:not(:empty)")
        started = time.perf_counter()
        saved = plan.parent / f"{scenario}.xlsx"
        command = [sys.executable, "-c", LAUNCH, str(saved), "--scenario", scenario]
        done = subprocess.run(
            [*command, "--out", str(out / scenario), "--quiet"], capture_output=True, text=True
        )
        cli_seconds = time.perf_counter() - started
        assert done.returncode == 0, done.stderr
        cli = json.loads((out / scenario / "run.json").read_text())["scenarios"][0]
        found.append(
            {
                "override": f"{name}={value:g}",
                "page_seconds": seconds,
                "worker_solve_seconds": state["final"]["seconds"],
                "cli_seconds": cli_seconds,
                "page_objective_usd": state["final"]["objective_usd"],
                "cli_objective_usd": cli["objective_usd"],
                "same": abs(state["final"]["objective_usd"] - cli["objective_usd"])
                <= 1e-9 * abs(cli["objective_usd"]),
            }
        )
    return found


def example(browser: Any, name: str, args: dict[str, Any], out: Path) -> dict[str, Any]:
    work = out / name
    work.mkdir(parents=True, exist_ok=True)
    plan = work / f"{name}.xlsx"
    shutil.copyfile(EXAMPLES / f"{name}.xlsx", plan)
    hybrid = name == "hybrid-enterprise"
    started = time.perf_counter()
    with running(plan, work / "serve.log") as server:
        ready = time.perf_counter() - started
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server.url)
        page.wait_for_selector("#total[data-usd]")
        which = "quick" if hybrid else "final"
        changes = random_changes(page, args["changes"], args["seed"], which)
        result: dict[str, Any] = {"plan": name, "startup_seconds": ready, "changes": changes}
        if hybrid:
            page.wait_for_function("() => !document.getElementById('progress').hidden")
            page.screenshot(path=str(out / "calculator-hybrid-solving.png"))
            page.wait_for_function(
                "() => document.body.dataset.final === document.body.dataset.sent",
                timeout=900_000,
            )
            result["finals"] = final_against_cli(page, plan, args["finals"], work)
        else:
            page.screenshot(path=str(out / "calculator-seed.png"))
        page.screenshot(path=str(out / f"calculator-{name}-full.png"), full_page=True)
        page.close()
    return result


def _summary(result: dict[str, Any]) -> list[str]:
    name, changes = result["plan"], result["changes"]
    what = "held-plan figures and bound" if name == "hybrid-enterprise" else "final figures"
    lines = [
        f"### {name}: {len(changes)} random changes, to the {what} (target p95 ≤ "
        f"{TARGETS_S[name]:g} s)",
        "",
        "| changes | n | median s | p95 s | max s | worker p95 s | worker CPU p95 s |",
        "|---|---|---|---|---|---|---|",
    ]
    groups = [("all", changes)]
    groups += [("of costs", [c for c in changes if c["costs_only"]])]
    groups += [
        ("of demand, capacity, max_utilization", [c for c in changes if not c["costs_only"]])
    ]
    for label, group in groups:
        if not group:
            continue
        wall = [c["seconds"] for c in group]
        worker = [c["worker_seconds"] for c in group if c["worker_seconds"] is not None]
        cpu = [c["worker_cpu_seconds"] for c in group if c["worker_cpu_seconds"] is not None]
        lines.append(
            f"| {label} | {len(group)} | {statistics.median(wall):.2f} | {p95(wall):.2f} | "
            f"{max(wall):.2f} | {p95(worker):.2f} | {p95(cpu):.2f} |"
        )
    lines += ["", f"Server ready (base case solved) after {result['startup_seconds']:.0f} s.", ""]
    if result.get("finals"):
        lines += [
            "| override | page: change → final s | worker solve s | `optimize --scenario` s "
            "| same objective |",
            "|---|---|---|---|---|",
        ]
        for f in result["finals"]:
            lines.append(
                f"| {f['override']} | {f['page_seconds']:.1f} | {f['worker_solve_seconds']:.1f} "
                f"| {f['cli_seconds']:.1f} | {'yes' if f['same'] else 'NO'} |"
            )
        lines.append("")
    return lines


@click.command()
@click.argument("out", type=click.Path(path_type=Path, file_okay=False))
@click.option("--changes", default=50, show_default=True)
@click.option("--seed", default=0, show_default=True)
@click.option("--finals", default=2, show_default=True, type=click.IntRange(0, len(FINALS)))
@click.option("--plans", default="seed-article,hybrid-enterprise", show_default=True)
def main(out: Path, changes: int, seed: int, finals: int, plans: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    args = {"changes": changes, "seed": seed, "finals": finals}
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    results = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for name in plans.split(","):
            results.append(example(browser, name, args, out))
            print(f"{name} done", flush=True)
        browser.close()
    load_after = Path("/proc/loadavg").read_text().split()[:3] if load else []
    (out / "calculator.json").write_text(
        json.dumps({"args": args, "load": [load, load_after], "results": results}, indent=1)
    )
    lines = [f"Load average before / after: {' '.join(load)} / {' '.join(load_after)}", ""]
    for result in results:
        lines += _summary(result)
    (out / "calculator.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
