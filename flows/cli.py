"""`oversample`: the command line. Heavy libraries are imported inside commands so `--help` is instant."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import List, Optional

import typer

from augmentation.errors import OversamplingError  # light: no heavy imports behind it

app = typer.Typer(help="Oversample imbalanced tabular data without distorting it.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
generators_app = typer.Typer(help="Inspect the generator registry.")

# No internet on these machines and no telemetry wanted anywhere; a fresh Prefect database needs > 20 s.
for _key, _value in {"DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DVC_NO_ANALYTICS": "1",
                     "GX_ANALYTICS_ENABLED": "false", "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120"}.items():
    os.environ.setdefault(_key, _value)


def _fail(err: Exception) -> None:
    typer.secho(f"error: {err}", fg="red", err=True)
    raise typer.Exit(2)


@app.command()
def run(params: Path = typer.Option(Path("params.yaml"), "--params", help="params file to run with")) -> None:
    """Run the retraining flow (ingest → validate → split → fit → synthesise → checks → evaluate → report)."""
    from tasks import paths
    from tasks.params import load_params
    try:
        load_params(params)  # a bad params file fails here, before a Prefect server starts
        from flows.retrain import retrain
        summary = retrain(params_path=str(params))
    except OversamplingError as err:
        _fail(err)
    _print_summary(summary)
    typer.echo(f"\nreports: {paths.REPORT} · metrics: {paths.SUMMARY}, {paths.EVALUATION}, {paths.CAUSAL}, "
               f"{paths.FAIRNESS} · validation: {paths.RAW_VALIDATION.parent}/")
    typer.echo(f"DVC: {summary['dvc']}")


def _print_summary(summary: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Results on the real hold-out (mean over repeats)")
    learners = summary["learners"]
    for column in ["method", *[f"{l} AUC" for l in learners], *[f"{l} F1" for l in learners], "causal", "fairness", "verdict"]:
        table.add_column(column)
    word = {True: "pass", False: "[red]FAIL[/red]", None: "n/a"}
    for r in summary["rows"]:
        table.add_row(r["method"], *[f"{r[f'{l}_roc_auc']:.3f}" for l in learners],
                      *[f"{r[f'{l}_f1']:.3f}" for l in learners], word[r["causal"]], word[r["fairness"]],
                      "pass" if r["passed"] else "[red]FAIL[/red]")
    Console(width=120).print(table)
    best = summary["best_generator"]
    typer.echo(f"best generator passing every check: {best} (mean AUC gain over none: {summary['best_gain_over_none']:+.4f})"
               if best else "no generator passed every check")


@app.command()
def simulate(rows: int = typer.Option(20_000, help="number of patients"), seed: int = typer.Option(0),
             drift: float = typer.Option(0.0, help="shift of the minority distribution (0 = none)"),
             out: Path = typer.Option(..., help="output .csv or .parquet")) -> None:
    """Write the simulated trauma cohort (a structural causal model; the data are NOT real patients)."""
    from augmentation.simulate import simulate_trauma
    try:
        frame = simulate_trauma(rows=rows, seed=seed, drift=drift)
        _write(frame, out)
    except OversamplingError as err:
        _fail(err)
    typer.echo(f"wrote {len(frame)} rows ({frame['mortality'].mean():.1%} mortality) to {out}")


def _write(frame, out: Path) -> None:
    from augmentation import io
    if out.suffix.lower() == ".csv":
        io.write_text(frame.to_csv(index=False), out)
    elif out.suffix.lower() in {".parquet", ".pq"}:
        io.write_parquet(frame, out)
    else:
        from augmentation.errors import ConfigError
        raise ConfigError(f"--out {out} has the unsupported suffix {out.suffix!r}", "use a .csv or .parquet file name")


def _spec(frame, target: str, positive: Optional[str], categorical: Optional[str]):
    from augmentation.table import TableSpec, check_table
    cats = tuple(c for c in (categorical or "").split(",") if c)
    if not cats:  # text columns are categorical unless the user says otherwise
        cats = tuple(c for c in frame.columns if c != target and frame[c].dtype == object)
    integer = tuple(c for c in frame.columns if c != target and c not in cats and frame[c].dtype.kind in "iu")
    if positive is None and target in frame.columns:
        counts = frame[target].astype(str).value_counts()
        positive = counts.index[-1]  # the rarer class
    spec = TableSpec(target=target, positive_label=positive if positive is not None else 1,
                     categorical=cats, integer=integer)
    checked = check_table(frame, spec, source="--data")
    return checked, spec, positive


def _parse_params(pairs: List[str]) -> dict:
    from augmentation.errors import ConfigError
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--param {pair!r} is not key=value", "write e.g. --param k_neighbors=3")
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            params[key] = value
    return params


@app.command()
def resample(data: Path = typer.Option(..., help="CSV or Parquet file"), target: str = typer.Option(...),
             method: str = typer.Option("smote", help="a registered generator"),
             param: List[str] = typer.Option([], help="generator parameter key=value, repeatable"),
             seed: int = typer.Option(0), sampling_strategy: float = typer.Option(1.0),
             positive: Optional[str] = typer.Option(None, help="the minority label (default: the rarer class)"),
             categorical: Optional[str] = typer.Option(None, help="comma-separated categorical columns"),
             out: Path = typer.Option(...)) -> None:
    """Fit one generator on a file and write real + synthetic rows with a `provenance` column."""
    import pandas as pd
    from augmentation import io
    from augmentation.synthesis import REAL, augment, synthesize
    try:
        frame = io.read_table(data)
        checked, spec, positive = _spec(frame, target, positive, categorical)
        synthetic = synthesize(checked, spec, method=method, params=_parse_params(param),
                               sampling_strategy=sampling_strategy, random_state=seed)
        # Back from the pipeline's 0/1 coding to the file's own label value.
        label = frame[target][checked[target] == 1].iloc[0]
        synthetic[target] = pd.Series(label, index=synthetic.index).astype(frame[target].dtype)
        _write(augment(frame, synthetic, method), out)
    except OversamplingError as err:
        _fail(err)
    typer.echo(f"wrote {len(frame)} real + {len(synthetic)} synthetic rows ({method}) to {out}")


@app.command()
def evaluate(data: Path = typer.Option(..., help="CSV or Parquet file"), target: str = typer.Option(...),
             methods: str = typer.Option("smote", help="comma-separated generators"),
             seed: int = typer.Option(0), repeats: int = typer.Option(3), test_size: float = typer.Option(0.25),
             positive: Optional[str] = typer.Option(None), categorical: Optional[str] = typer.Option(None),
             out: Path = typer.Option(..., help="metrics JSON")) -> None:
    """The evaluation protocol on one file: baselines and generators, CART and logistic regression, real hold-out."""
    from rich.progress import Progress
    from sklearn.model_selection import train_test_split
    from augmentation import io
    from augmentation.protocol import BASELINES, evaluate_methods, fresh_synthesis
    from augmentation.seeding import derive_seed
    try:
        checked, spec, _ = _spec(io.read_table(data), target, positive, categorical)
        names = [m for m in methods.split(",") if m]
        from augmentation import generators
        for name in names:
            generators.min_minority_rows(name, {})  # an unknown name fails here, before any work
        train, test = train_test_split(checked, test_size=test_size, stratify=checked[target],
                                       random_state=derive_seed(seed, "split"))
        with Progress(transient=True) as bar:
            job = bar.add_task("evaluating", total=len(BASELINES) + len(names))
            results = evaluate_methods(train.reset_index(drop=True), test.reset_index(drop=True), spec,
                                       generators=names, synthetic_rows=fresh_synthesis(train, spec, seed=seed),
                                       learners={"cart": {"max_depth": 6, "min_samples_leaf": 20}, "logreg": {}},
                                       repeats=repeats, seed=seed, progress=lambda _: bar.advance(job))
        io.write_json({"data": str(data), "target": target, "seed": seed, "repeats": repeats, "results": results}, out)
    except OversamplingError as err:
        _fail(err)
    for method, by_learner in results.items():
        typer.echo(f"{method:>14}: " + "  ".join(f"{l} AUC {m['roc_auc']['mean']:.3f}±{m['roc_auc']['std']:.3f}"
                                                for l, m in by_learner.items()))
    typer.echo(f"wrote {out}")


@app.command()
def contract(data: Path = typer.Option(..., help="CSV or Parquet file"),
             categorical: Optional[str] = typer.Option(None, help="comma-separated categorical columns"),
             name: Optional[str] = typer.Option(None, help="suite name (default: the file's stem)"),
             out: Path = typer.Option(..., help="suite JSON to write, e.g. expectations/my_cohort.json")) -> None:
    """Draft a data contract (Great Expectations suite) from a file, for you to review and commit."""
    from augmentation import io
    from augmentation.contract import validate_frame
    from augmentation.contract_draft import draft_suite
    try:
        frame = io.read_table(data)
        suite = draft_suite(frame, name=name or data.stem, categorical=[c for c in (categorical or "").split(",") if c])
        result = validate_frame(frame, suite, name=str(data))  # the draft must accept the data it came from
        if not result.passed:
            raise result.error()
        io.write_json(suite, out)
    except OversamplingError as err:
        _fail(err)
    typer.echo(f"wrote {len(suite['expectations'])} expectations to {out}; review the ranges, then set data.contract")


@app.command()
def bench(suite: str = typer.Option("dev", help="dev, paper, study, all, or name,name,… (a name may be a file path.csv:target)"),
          methods: str = typer.Option("all", help="'all' (none, class_weight and every registered generator) or a list"),
          learners: str = typer.Option("cart,lr,hgb", help="comma-separated: cart (paper grid), lr, hgb"),
          protocol: str = typer.Option("paper", help="paper (70/30, copies, ratio grid), cv (5-fold × 3), or both: paper,cv"),
          seeds: int = typer.Option(1, help="number of seeds (seed, seed+1, …)"), seed: int = typer.Option(0),
          copies: int = typer.Option(3, help="resampled copies per setting (paper protocol)"),
          runner: str = typer.Option("local", help="local (progress bar) or dask"),
          address: Optional[str] = typer.Option(None, help="Dask scheduler address (default: a local cluster)"),
          workers: int = typer.Option(2, help="local Dask cluster workers"),
          param: List[str] = typer.Option([], help="method parameter method.key=value, repeatable"),
          retry_errors: bool = typer.Option(False, help="recompute cells cached as failed"),
          out: Path = typer.Option(Path("reports/bench"), help="results folder (cache under OUT/cache)")) -> None:
    """Benchmark methods × datasets × learners × seeds; results.parquet, summary.md and plots in OUT."""
    import shlex
    import sys
    try:
        by_method: dict = {}
        for key, value in _parse_params(param).items():
            method, dot, name = key.partition(".")
            if not dot or not name:
                from augmentation.errors import ConfigError
                raise ConfigError(f"--param {key!r} does not name a method", "write e.g. --param smote.k_neighbors=3")
            by_method.setdefault(method, {})[name] = value
        from augmentation.bench import method_names, split_list
        from augmentation.bench.cells import LEARNERS, PROTOCOLS
        from augmentation.bench.datasets import suite_names
        # bad options fail here, before a Prefect server starts
        suite_names(suite), method_names(methods)
        split_list(learners, LEARNERS, "--learners"), split_list(protocol, PROTOCOLS, "--protocol")
        from flows.bench import bench as bench_flow
        summary = bench_flow(suite=suite, methods=methods, learners=learners, protocol=protocol, seeds=seeds, seed=seed,
                             copies=copies, runner=runner, address=address, workers=workers, out=str(out),
                             params=by_method, retry_errors=retry_errors,
                             command=" ".join(["oversample", *map(shlex.quote, sys.argv[1:])]))
    except OversamplingError as err:
        _fail(err)
    typer.echo(f"{summary['cells']} cells ({summary['computed']} computed, {summary['failed']} failed) in "
               f"{summary['wall_seconds']:.0f} s · {summary['results']} · {summary['summary']}")


@app.command("bench-speed")
def bench_speed(methods: str = typer.Option("all", help="'all' registered generators or a list"),
                sizes: str = typer.Option("100,10000,100000", help="numbers of generated points"),
                seed: int = typer.Option(0), out: Path = typer.Option(Path("reports/bench"))) -> None:
    """Time and peak memory per generator on 10,000 × 20 data (1,000 minority rows), as ratios to SMOTE."""
    import shlex
    import sys
    from rich.progress import Progress
    from augmentation.bench import method_names
    from augmentation.bench.cells import BASELINES
    from augmentation.bench.report import write_speed
    from augmentation.bench.speed import speed_table
    from flows.bench import machine
    try:
        names = [m for m in method_names(methods) if m not in BASELINES]
        counts = [int(s) for s in sizes.split(",") if s]
        with Progress(transient=True) as bar:
            job = bar.add_task("speed", total=len(counts) * len(set(names) | {"smote"}))
            table = speed_table(names, sizes=counts, seed=seed,
                                progress=lambda what: bar.update(job, advance=1, description=what))
        path = write_speed(table, out, command=" ".join(["oversample", *map(shlex.quote, sys.argv[1:])]), machine=machine())
    except OversamplingError as err:
        _fail(err)
    typer.echo(path.read_text())


@generators_app.command("available")
def generators_available() -> None:
    """List the registered generators."""
    from augmentation import generators
    for name in generators.available():
        typer.echo(name)


app.add_typer(generators_app, name="generators")

if __name__ == "__main__":
    app()
