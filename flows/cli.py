"""`oversample`: the command line. Heavy libraries are imported inside commands so `--help` is instant."""

from __future__ import annotations

import functools
import json
import math
import os
from pathlib import Path
from typing import List, Optional

import typer

from augmentation.errors import OversamplingError  # light: no heavy imports behind it
from flows.runners import DEFAULT_RUNNER  # light too

app = typer.Typer(help="Oversample imbalanced tabular data without distorting it.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
generators_app = typer.Typer(help="The generator registry: available methods, fitted versions, rollback.")
causal_app = typer.Typer(help="Causal maps: propose one from data for review.")

# No internet on these machines and no telemetry wanted anywhere; a fresh Prefect database needs > 20 s.
# One OpenMP thread unless the user says otherwise: on small, busy machines the gradient-boosting mechanisms
# of `scm` ran ~100x slower oversubscribed (80 s instead of 0.5 s per generation on German credit).
for _key, _value in {"DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DVC_NO_ANALYTICS": "1",
                     "GX_ANALYTICS_ENABLED": "false", "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
                     "OMP_NUM_THREADS": "1"}.items():
    os.environ.setdefault(_key, _value)


TASK_HELP = "classification | regression | auto (regression when the target is numeric with more than two values)"


def _fail(err: Exception) -> None:
    typer.secho(f"error: {err}", fg="red", err=True)
    raise typer.Exit(2)


def _command(group: typer.Typer, *args, **kwargs):
    """Register a command; a user error (OversamplingError) anywhere in it prints one message and exits 2."""
    def register(fn):
        @functools.wraps(fn)
        def run_command(*a, **kw):
            try:
                return fn(*a, **kw)
            except OversamplingError as err:
                _fail(err)
        return group.command(*args, **kwargs)(run_command)
    return register


@_command(app)
def run(params: Path = typer.Option(Path("params.yaml"), "--params", help="params file to run with"),
        runner: str = typer.Option(DEFAULT_RUNNER, help="where the per-generator work runs side by side: processes "
                                   "or threads on this machine, or dask (a local cluster, or --address)"),
        workers: Optional[int] = typer.Option(None, help="processes, threads or local Dask workers "
                                              "(default: the cores, at most 4)"),
        address: Optional[str] = typer.Option(None, help="a Dask scheduler, e.g. tcp://10.0.0.5:8786, with "
                                              "--runner dask (its workers must see this folder at the same path)"),
        ) -> None:
    """Run the retraining flow (ingest → validate → split → fit → synthesise → checks → evaluate → report)."""
    from flows import runners
    from tasks import paths, preflight, runs, workspace
    runners.check(runner, workers, address)  # a bad runner option: one message before anything runs
    # another params file than params.yaml: its own folder, workspaces/<name>/; a second run in it is refused at once
    with workspace.entered(params, create=True) as ws, runs.exclusive():
        for done in runs.recover():  # a killed run's folder: finished or removed before anything else
            typer.echo(done)
        preflight.check(ws.params)  # a bad input fails here, before a Prefect server starts
        from flows.retrain import retrain
        summary = retrain(params_path=str(params), trigger="manual", runner=runner, workers=workers,
                          address=address)
    _print_summary(summary)
    at = Path(ws.where)  # the outputs' paths as seen from the project folder
    metrics = ", ".join(str(at / m) for m in (paths.DECISION, paths.SUMMARY, paths.EVALUATION, paths.CAUSAL,
                                               paths.FAIRNESS))
    typer.echo(f"\nworkspace: {ws.where}/ · reports: {at / paths.REPORT} · metrics: {metrics} · "
               f"validation: {at / paths.RAW_VALIDATION.parent}/")
    typer.echo(f"DVC: {summary['dvc']}")
    version = summary["version"]
    state = "active" if version["active"] else "recorded, not active: no generator passed every check"
    typer.echo(f"generator version: {version['id']} ({state}; {version['dvc']})")


def _print_summary(summary: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Results on the real hold-out (mean over repeats)")
    learners = summary["learners"]
    columns = ["method", *[f"{learner} AUC" for learner in learners], *[f"{learner} F1" for learner in learners],
               "causal", "fairness", "verdict"]
    for column in columns:
        table.add_column(column)
    word = {True: "pass", False: "[red]FAIL[/red]", None: "n/a"}
    for r in summary["rows"]:
        table.add_row(r["method"], *[f"{r[f'{learner}_roc_auc']:.3f}" for learner in learners],
                      *[f"{r[f'{learner}_f1']:.3f}" for learner in learners], word[r["causal"]], word[r["fairness"]],
                      word[r["passed"]])
    console = Console(width=120)
    for warning in summary.get("warnings", []):
        console.print(f"[yellow]warning:[/yellow] {warning}")
    decision = summary["decision"]
    console.print(f"[bold]Decision:[/bold] {decision['headline']}")
    for learner in decision["learners"].values():
        console.print(f"  - {learner['sentence']}")
    console.print(table)


@_command(app)
def simulate(rows: int = typer.Option(20_000, help="number of patients"), seed: int = typer.Option(0),
             drift: float = typer.Option(0.0, help="shift of the minority distribution (0 = none)"),
             out: Path = typer.Option(..., help="output .csv or .parquet")) -> None:
    """Write the simulated trauma cohort (a structural causal model; the data are NOT real patients)."""
    from augmentation.data.simulate import simulate_trauma
    frame = simulate_trauma(rows=rows, seed=seed, drift=drift)
    _write(frame, out)
    typer.echo(f"wrote {len(frame)} rows ({frame['mortality'].mean():.1%} mortality) to {out}")


def _write(frame, out: Path) -> None:
    from augmentation.data import io
    if out.suffix.lower() == ".csv":
        io.write_text(frame.to_csv(index=False), out)
    elif out.suffix.lower() in {".parquet", ".pq"}:
        io.write_parquet(frame, out)
    else:
        from augmentation.errors import ConfigError
        raise ConfigError(f"--out {out} has the unsupported suffix {out.suffix!r}", "use a .csv or .parquet file name")


def _columns(text: Optional[str]) -> list[str]:
    return [c for c in (text or "").split(",") if c]


@_command(app)
def recommend(data: Path = typer.Option(..., help="CSV or Parquet file"), target: str = typer.Option(...),
              metric: Optional[str] = typer.Option(None, help="f1 (default) | balanced_accuracy | "
                                                   "recall_at_precision | cost | roc_auc | pr_auc | log_loss; "
                                                   "regression: rare_rmse (default) | weighted_mse | rmse | mse | "
                                                   "mape | median_ae"),
              methods: Optional[str] = typer.Option(None, help="comma-separated generators to consider (default: "
                                                    "random,smote; regression: random,smoter,gaussian_noise,david)"),
              learners: Optional[str] = typer.Option(None, help="comma-separated: cart, logreg, hgb (default: "
                                                     "cart,logreg); regression: gbm, linear (default: both)"),
              min_precision: float = typer.Option(0.5, help="recall_at_precision: the precision to reach"),
              cost_fp: float = typer.Option(1.0, "--cost-fp", help="cost: price of a false alarm"),
              cost_fn: float = typer.Option(1.0, "--cost-fn", help="cost: price of a missed minority case"),
              alpha: float = typer.Option(0.5, help="regression: rarity weight w ∝ 1/density(y)^alpha "
                                                    "(the rare region; weighted_mse's weights)"),
              folds: int = typer.Option(3, help="validation folds on the training part"),
              repeats: int = typer.Option(2, help="regression: repeats of the validation folds"),
              seed: int = typer.Option(0), test_size: float = typer.Option(0.25),
              positive: Optional[str] = typer.Option(None), categorical: Optional[str] = typer.Option(None),
              task: str = typer.Option("auto", help=TASK_HELP),
              out: Path = typer.Option(..., help="decision JSON")) -> None:
    """Which option to deploy, per learner: no oversampling, a tuned threshold, class weights or a generator.

    Validated on the training part only (resampling and threshold tuning inside the folds); the chosen option
    and its baseline are then scored once on the held-out part. Regression (a continuous target): no oversampling
    or a rare-region generator, chosen by an error on rare targets over repeated folds.
    """
    from rich.progress import Progress

    from augmentation.data import io
    frame = io.read_table(data)
    _check_split_options(test_size)
    if _task(frame, target, task) == "regression":
        _recommend_regression(frame, data, target, metric=metric or "rare_rmse", alpha=alpha,
                              methods=methods or "random,smoter,gaussian_noise,david",
                              learners=learners or "gbm,linear", folds=folds, repeats=repeats, seed=seed,
                              test_size=test_size, categorical=categorical, out=out)
        return
    from augmentation import generators
    from augmentation.evaluation.decision import Objective
    from augmentation.evaluation.decision import recommend as decide
    from tasks.params import Evaluate
    objective = Objective(metric=metric or "f1", min_precision=min_precision, cost_false_positive=cost_fp,
                          cost_false_negative=cost_fn)
    names = _columns(methods or "random,smote")
    for name in names:
        generators.min_minority_rows(name, {})  # an unknown name fails here, before any work
    from augmentation.learners import LEARNERS
    unknown = [name for name in _columns(learners or "cart,logreg") if name not in LEARNERS]
    if unknown:
        from augmentation.errors import ConfigError
        raise ConfigError(f"unknown learner(s) {unknown}", f"use --learners with names from {list(LEARNERS)}")
    chosen_learners = {name: Evaluate().learners.get(name, {}) for name in _columns(learners or "cart,logreg")}
    checked, spec = _classification_table(frame, target, positive, categorical)
    if folds < 2:
        from augmentation.errors import ConfigError
        raise ConfigError(f"--folds must be at least 2, got {folds}", "pass --folds 3")
    train, test = _holdout(checked, target, test_size, seed)
    with Progress(transient=True) as bar:
        job = bar.add_task("validating", total=len(chosen_learners) * (3 + 2 * len(names)))
        decisions = decide(train.reset_index(drop=True), test.reset_index(drop=True), spec, learners=chosen_learners,
                           generators=names, objective=objective, folds=folds, seed=seed,
                           progress=lambda what: bar.update(job, advance=1, description=what))
    io.write_json({"data": str(data), "target": target, "seed": seed, "metric": objective.metric,
                   "learners": decisions}, out)
    for decision in decisions.values():
        typer.echo(decision["sentence"])
    typer.echo(f"wrote {out}")


def _recommend_regression(frame, data: Path, target: str, *, metric: str, alpha: float, methods: str, learners: str,
                          folds: int, repeats: int, seed: int, test_size: float, categorical: Optional[str],
                          out: Path) -> None:
    from rich.progress import Progress
    from sklearn.model_selection import train_test_split

    from augmentation.data import io
    from augmentation.data.table import infer_spec
    from augmentation.evaluation.regression_decision import RegressionObjective
    from augmentation.evaluation.regression_decision import recommend as decide
    from augmentation.seeding import derive_seed
    from augmentation.synthesis.regression import check_regression_table
    objective = RegressionObjective(metric=metric, alpha=alpha)  # a bad metric fails here, before any work
    spec = infer_spec(frame, target, categorical=_columns(categorical), regression=True)
    checked = check_regression_table(frame, spec, source="--data")
    train, test = train_test_split(checked, test_size=test_size, random_state=derive_seed(seed, "split"))
    names = _columns(methods)
    with Progress(transient=True) as bar:
        job = bar.add_task("validating", total=len(_columns(learners)) * (1 + len(names)))
        decisions = decide(train.reset_index(drop=True), test.reset_index(drop=True), spec,
                           learners={name: {} for name in _columns(learners)}, generators=names, objective=objective,
                           folds=folds, repeats=repeats, seed=seed,
                           progress=lambda what: bar.update(job, advance=1, description=what))
    io.write_json({"data": str(data), "target": target, "task": "regression", "seed": seed, "metric": metric,
                   "alpha": alpha, "learners": decisions}, out)
    for decision in decisions.values():
        typer.echo(decision["sentence"])
    typer.echo(f"wrote {out}")


def _task(frame, target: str, task: str) -> str:
    from augmentation.data.table import detect_task
    chosen, note = detect_task(frame, target, task)
    if note:
        typer.echo(note)
    return chosen


def _classification_table(frame, target: str, positive: Optional[str], categorical: Optional[str]):
    from augmentation.data.table import check_table, infer_spec
    spec = infer_spec(frame, target, positive=positive, categorical=_columns(categorical))
    return check_table(frame, spec, source="--data"), spec


def _check_split_options(test_size: float, repeats: int = 1) -> None:
    from augmentation.errors import ConfigError
    if not 0 < test_size < 1:
        raise ConfigError(f"--test-size must be a share of the rows between 0 and 1, got {test_size}",
                          "pass e.g. --test-size 0.25")
    if repeats < 1:
        raise ConfigError(f"--repeats must be at least 1, got {repeats}", "pass e.g. --repeats 3")


def _holdout(checked, target: str, test_size: float, seed: int):
    """The stratified train / hold-out split of a checked table; too few rows for one is a DataError."""
    from sklearn.model_selection import train_test_split

    from augmentation.errors import DataError
    from augmentation.seeding import derive_seed
    counts = checked[target].value_counts()
    n_test = math.ceil(test_size * len(checked))
    if counts.min() < 2 or n_test < len(counts) or len(checked) - n_test < len(counts):
        raise DataError(f"--data has {len(checked)} rows ({int(counts.get(1, 0))} minority): too few to split into "
                        f"a training part and a hold-out ({test_size:.0%}) that both hold each class",
                        "use a file with more rows (tens of minority rows at least), or change --test-size")
    return train_test_split(checked, test_size=test_size, stratify=checked[target],
                            random_state=derive_seed(seed, "split"))


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


@_command(app)
def resample(data: Path = typer.Option(..., help="CSV or Parquet file"), target: str = typer.Option(...),
             method: Optional[str] = typer.Option(None, help="a registered generator "
                                                  "(default: smote; smoter for regression)"),
             param: List[str] = typer.Option([], help="generator parameter key=value, repeatable"),
             seed: int = typer.Option(0), sampling_strategy: float = typer.Option(1.0),
             positive: Optional[str] = typer.Option(None, help="the minority label (default: the rarer class)"),
             categorical: Optional[str] = typer.Option(None, help="comma-separated categorical columns"),
             task: str = typer.Option("auto", help=TASK_HELP),
             graph: Optional[Path] = typer.Option(None, help="causal map YAML: needed by scm; its constraints "
                                                             "are applied (repair) to any generator's rows"),
             out: Path = typer.Option(...)) -> None:
    """Fit one generator on a file and write real + synthetic rows with a `provenance` column.

    Regression (a continuous target): new rows in the rare-target region; choose how many and where with
    --param n_samples=0.5 (share of rows, or a count) and --param rare_quantile=0.1 or relevance_threshold=0.5.
    """
    import pandas as pd

    from augmentation.data import io
    from augmentation.synthesis.classification import augment, synthesize
    frame = io.read_table(data)
    if _task(frame, target, task) == "regression":
        from augmentation.data.table import infer_spec
        from augmentation.synthesis.regression import check_regression_table, synthesize_regression
        method = method or "smoter"
        spec = infer_spec(frame, target, categorical=_columns(categorical), regression=True)
        synthetic = synthesize_regression(check_regression_table(frame, spec, source="--data"), spec,
                                          method=method, params=_parse_params(param), random_state=seed)
        _write(augment(frame, synthetic, method), out)
        typer.echo(f"wrote {len(frame)} real + {len(synthetic)} synthetic rows ({method}, regression) to {out}")
        return
    method = method or "smote"
    checked, spec = _classification_table(frame, target, positive, categorical)
    causal_map = None
    if graph is not None:
        from tasks.maps import load_map
        causal_map = load_map(graph).complete(checked, spec)
    synthetic = synthesize(checked, spec, method=method, params=_parse_params(param),
                           sampling_strategy=sampling_strategy, random_state=seed, causal_map=causal_map)
    if causal_map is not None:
        from augmentation.causal.constraints import apply_constraints
        synthetic, report = apply_constraints(synthetic, causal_map, real=checked, mode="repair", method=method)
        typer.echo(f"constraints: {report.n_rows_repaired} rows repaired, {report.n_rows_rejected} rejected")
    # Back from the pipeline's 0/1 coding to the file's own label value.
    label = frame[target][checked[target] == 1].iloc[0]
    synthetic[target] = pd.Series(label, index=synthetic.index).astype(frame[target].dtype)
    _write(augment(frame, synthetic, method), out)
    typer.echo(f"wrote {len(frame)} real + {len(synthetic)} synthetic rows ({method}) to {out}")


@_command(app)
def evaluate(data: Path = typer.Option(..., help="CSV or Parquet file"), target: str = typer.Option(...),
             methods: Optional[str] = typer.Option(None, help="comma-separated generators (default: smote; "
                                                   "david,smoter for regression)"),
             seed: int = typer.Option(0),
             repeats: int = typer.Option(3, help="repeats (regression: seeds, each a fresh split)"),
             test_size: float = typer.Option(0.25),
             positive: Optional[str] = typer.Option(None), categorical: Optional[str] = typer.Option(None),
             task: str = typer.Option("auto", help=TASK_HELP),
             out: Path = typer.Option(..., help="metrics JSON")) -> None:
    """The evaluation protocol on one file: baselines and generators, CART and logistic regression, real hold-out.

    Regression: no augmentation and each generator, gradient boosting and ridge, MSE, MAPE, median AE,
    RMSE on the rarest 10% and inverse-density-weighted MSE, on a uniform and a rare-weighted hold-out view.
    """
    from augmentation.data import io as _io
    _check_split_options(test_size, repeats)
    if _task(_io.read_table(data), target, task) == "regression":
        _evaluate_regression(data, target, methods or "david,smoter", seed, repeats, test_size, categorical, out)
        return
    methods = methods or "smote"
    from rich.progress import Progress

    from augmentation.data import io
    from augmentation.evaluation.decision import Objective
    from augmentation.evaluation.protocol import BASELINES, evaluate_methods, fresh_synthesis, small_holdout_warning
    from tasks.params import Evaluate  # the learners params.yaml ships with
    checked, spec = _classification_table(io.read_table(data), target, positive, categorical)
    names = _columns(methods)
    from augmentation import generators
    for name in names:
        generators.min_minority_rows(name, {})  # an unknown name fails here, before any work
    train, test = _holdout(checked, target, test_size, seed)
    warning = small_holdout_warning(int(test[target].sum()), Evaluate().min_minority_test_rows)
    if warning:
        typer.secho(f"warning: {warning}", fg="yellow", err=True)
    with Progress(transient=True) as bar:
        job = bar.add_task("evaluating", total=len(BASELINES) + 1 + len(names))
        results = evaluate_methods(train.reset_index(drop=True), test.reset_index(drop=True), spec,
                                   generators=names, synthetic_rows=fresh_synthesis(train, spec, seed=seed),
                                   learners=Evaluate().learners, objective=Objective(),
                                   repeats=repeats, seed=seed, progress=lambda _: bar.advance(job))
    io.write_json({"data": str(data), "target": target, "seed": seed, "repeats": repeats, "results": results}, out)
    for method, by_learner in results.items():
        typer.echo(f"{method:>14}: " + "  ".join(
            f"{learner} AUC {m['roc_auc']['mean']:.3f}±{m['roc_auc']['std']:.3f}"
            for learner, m in by_learner.items()))
    typer.echo(f"wrote {out}")


def _evaluate_regression(data: Path, target: str, methods: str, seed: int, repeats: int, test_size: float,
                         categorical: Optional[str], out: Path) -> None:
    from rich.progress import Progress

    from augmentation.data import io
    from augmentation.data.table import infer_spec
    from augmentation.evaluation.regression_protocol import evaluate_regression
    from augmentation.generators import regression as samplers
    from augmentation.synthesis.regression import check_regression_table
    frame = io.read_table(data)
    spec = infer_spec(frame, target, categorical=_columns(categorical), regression=True)
    check_regression_table(frame, spec, source="--data")
    names = [m for m in methods.split(",") if m and m != "none"]
    for name in names:
        if name not in samplers.REGISTRY:  # an unknown name fails here, before any work
            samplers.make_sampler(name, random_state=0)
    with Progress(transient=True) as bar:
        job = bar.add_task("evaluating", total=repeats * (len(names) + 1))
        results = evaluate_regression(frame, spec, methods=names, seeds=repeats, test_size=test_size, seed=seed,
                                      progress=lambda _: bar.advance(job))
    io.write_json({"data": str(data), "target": target, "task": "regression", "seed": seed, "seeds": repeats,
                   "results": results}, out)
    for method, by_learner in results.items():
        typer.echo(f"{method:>18}: " + "  ".join(
            f"{learner} rare RMSE {m['uniform']['rare_rmse']['mean']:.3g}±{m['uniform']['rare_rmse']['std']:.2g}"
            for learner, m in by_learner.items()))
    typer.echo(f"wrote {out}")


@_command(app)
def contract(data: Path = typer.Option(..., help="CSV or Parquet file"),
             categorical: Optional[str] = typer.Option(None, help="comma-separated categorical columns"),
             name: Optional[str] = typer.Option(None, help="suite name (default: the file's stem)"),
             out: Path = typer.Option(..., help="suite JSON to write, e.g. expectations/my_cohort.json")) -> None:
    """Draft a data contract (Great Expectations suite) from a file, for you to review and commit."""
    from augmentation.contract.draft import draft_suite
    from augmentation.contract.suite import validate_frame
    from augmentation.data import io
    frame = io.read_table(data)
    suite = draft_suite(frame, name=name or data.stem, categorical=_columns(categorical))
    result = validate_frame(frame, suite, name=str(data))  # the draft must accept the data it came from
    if not result.passed:
        raise result.error()
    io.write_json(suite, out)
    typer.echo(f"wrote {len(suite['expectations'])} expectations to {out}; review the ranges, then set data.contract")


@_command(app)
def bench(suite: str = typer.Option("dev", help="dev, paper, study, all, or name,name,… "
                                                "(a name may be a file path.csv:target)"),
          methods: str = typer.Option("all", help="'all' (none, class_weight and every registered generator) "
                                                  "or a list"),
          learners: str = typer.Option("cart,logreg,hgb", help="comma-separated: cart (paper grid), logreg, hgb"),
          protocol: str = typer.Option("paper", help="paper (70/30, copies, ratio grid), cv (5-fold × 3), "
                                                     "or both: paper,cv"),
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
    typer.echo(f"{summary['cells']} cells ({summary['computed']} computed, {summary['failed']} failed) in "
               f"{summary['wall_seconds']:.0f} s · {summary['results']} · {summary['summary']}")


@_command(app, "bench-speed")
def bench_speed(methods: str = typer.Option("all", help="'all' registered generators or a list"),
                sizes: str = typer.Option("100,10000,100000", help="numbers of generated points"),
                seed: int = typer.Option(0), out: Path = typer.Option(Path("reports/bench"))) -> None:
    """Time and peak memory per generator on 10,000 × 20 data (1,000 minority rows), as ratios to SMOTE."""
    import shlex
    import sys

    from rich.progress import Progress

    from augmentation.bench import method_names
    from augmentation.bench.cells import AUTO, BASELINES, THRESHOLD
    from augmentation.bench.report import write_speed
    from augmentation.bench.speed import speed_table
    from flows.bench import machine
    names = [m for m in method_names(methods) if m not in (*BASELINES, THRESHOLD, AUTO)]
    counts = [int(s) for s in sizes.split(",") if s]
    with Progress(transient=True) as bar:
        job = bar.add_task("speed", total=len(counts) * len(set(names) | {"smote"}))
        table = speed_table(names, sizes=counts, seed=seed,
                            progress=lambda what: bar.update(job, advance=1, description=what))
    path = write_speed(table, out, command=" ".join(["oversample", *map(shlex.quote, sys.argv[1:])]), machine=machine())
    typer.echo(path.read_text())


@_command(generators_app, "available")
def generators_available() -> None:
    """List the registered generators."""
    from augmentation import generators
    for name in generators.available():
        typer.echo(name)


@_command(generators_app, "list")
def generators_list(params: Path = typer.Option(Path("params.yaml"), "--params")) -> None:
    """Every generator version: id, parent, trigger, best generator, and which one is active."""
    from tasks import workspace
    from tasks.versions import registry
    with workspace.entered(params) as ws:
        reg = registry(ws.params)
        active, records = reg.active_id(), reg.versions()
    if not records:
        typer.echo(f"no generator versions in {Path(ws.where) / reg.root} yet: run `oversample run --params {params}`")
    for r in records:
        trigger = r["trigger"]["kind"] + (f" ({r['trigger']['report']})" if r["trigger"].get("report") else "")
        typer.echo(f"{'*' if r['id'] == active else ' '} {r['id']:<5} parent {str(r['parent']):<5} {r['created']}  "
                   f"best {str(r['metrics']['best_generator']):<12} trigger {trigger}")


@_command(generators_app, "show")
def generators_show(version: str = typer.Argument(..., help="a version id, e.g. v2"),
                    params: Path = typer.Option(Path("params.yaml"), "--params")) -> None:
    """One version's record (JSON): parent, training-data hash, params, metrics, trigger, files."""
    from tasks import workspace
    from tasks.versions import registry
    with workspace.entered(params) as ws:
        reg = registry(ws.params)
        record = reg.get(version)
        shown = {**record, "active": reg.active_id() == version, "path": str(Path(ws.where) / reg.path(version)),
                 "intact": not reg.verify(version)}
    typer.echo(json.dumps(shown, indent=2, sort_keys=True))


@_command(generators_app, "rollback")
def generators_rollback(version: str = typer.Argument(..., help="the version to make active again"),
                        params: Path = typer.Option(Path("params.yaml"), "--params")) -> None:
    """Restore a version's exact bytes (from the DVC cache or remote when needed) and make it active."""
    from tasks import workspace
    from tasks.versions import registry, restore, track
    with workspace.entered(params) as ws, registry(ws.params).lock():
        restored = restore(ws.params, version)
        registry(ws.params).activate(version)
        tracked = track(registry(ws.params), "registry.json")
    typer.echo(f"version {version} is active" + (f" (restored {len(restored)} files)" if restored else "")
               + f"; registry {tracked}")


@_command(app)
def monitor(params: Path = typer.Option(Path("params.yaml"), "--params"),
            recalibration: str = typer.Option("auto", help="auto | event | subflow | off")) -> None:
    """Run the drift monitor once: take new batches, test them for drift, recalibrate when they moved.

    \b
    Exit code, and the name of the flow run's final Prefect state:
      0  No new batch              nothing arrived
      0  No drift                  batches accepted, none drifted
      0  Recalibrated              drift; a new version was promoted
      0  Recalibration requested   drift; event sent to `recalibrate`
      0  Drift, recalibration off  drift; --recalibration off
      3  Recalibration refused     drift; a gate failed (state Failed)
      4  Quarantined               a batch quarantined (Failed; wins)
      2  bad params or no active version: nothing read or moved
    """
    from tasks import workspace
    from tasks.versions import registry
    if recalibration not in RECALIBRATION_MODES:
        from augmentation.errors import ConfigError
        raise ConfigError(f"unknown --recalibration {recalibration!r}", f"use one of {', '.join(RECALIBRATION_MODES)}")
    with workspace.entered(params) as ws:
        registry(ws.params).active()  # no active version: one message before a Prefect server starts
        from flows.drift import MonitorAlert, drift_monitor
        state = drift_monitor(params_path=str(params), recalibration=recalibration, return_state=True)
    if not ws.is_default:
        typer.echo(f"workspace: {ws.where}/ (the paths below are in it)")
    result = state.result(raise_on_failure=False)
    if isinstance(result, BaseException) and not isinstance(result, MonitorAlert):
        raise result  # the monitor itself broke: not an outcome
    outcome = result.outcome if isinstance(result, MonitorAlert) else result
    for check in outcome["drift"]:
        typer.echo(f"{check['batch']}: {'DRIFT' if check['drifted'] else 'no drift'} - {check['reason']}")
    for name in outcome["quarantined"]:
        typer.echo(f"{name}: quarantined (see {Path(outcome['quarantine_folder']) / name}.reason.json)")
    verdict = (outcome["recalibration"] or {}).get("result")
    if verdict:
        typer.echo(f"recalibration: promoted version {verdict['version']}")
    typer.echo(f"{state.name}: {outcome['message']}")
    if outcome["reports"]:
        typer.echo(f"drift report{'s' if len(outcome['reports']) > 1 else ''}: {', '.join(outcome['reports'])}")
    raise typer.Exit(outcome["exit_code"])


RECALIBRATION_MODES = ("auto", "event", "subflow", "off")


@_command(app)
def recalibrate(params: Path = typer.Option(Path("params.yaml"), "--params")) -> None:
    """Refit on the recent data window and promote the new generators only if every gate passes.

    \b
    Exit code (the codes of `oversample monitor`):
      0  Recalibrated           a new version was promoted
      3  Recalibration refused  a gate failed; the active version stays
      2  bad params or no active version: nothing refitted
    """
    from tasks import workspace
    from tasks.versions import registry
    with workspace.entered(params) as ws:
        registry(ws.params).active()  # no active version: one message before a Prefect server starts
    from flows.drift import OUTCOMES
    from flows.drift import recalibrate as recalibrate_flow
    from tasks.recalibrate import Rejected
    try:
        verdict = recalibrate_flow(params_path=str(params))
    except Rejected as refused:  # a verdict, not a user error (exit 2): the gates said no
        typer.echo(f"Recalibration refused: {refused}")
        raise typer.Exit(OUTCOMES["Recalibration refused"].exit_code) from None
    typer.echo(f"Recalibrated: promoted version {verdict['version']}")


@_command(app)
def serve(port: int = typer.Option(4200, help="port of the local Prefect server (127.0.0.1)"),
          server: bool = typer.Option(True, help="start a local server; --no-server uses PREFECT_API_URL")) -> None:
    """Start a Prefect server on 127.0.0.1 and serve the deployments of prefect.yaml (open the UI link shown)."""
    import subprocess
    import sys

    from flows.serve import start_server
    api = os.environ.get("PREFECT_API_URL")
    process = None
    if server:
        typer.echo(f"starting the Prefect server on http://127.0.0.1:{port} (log: .prefect-home/server.log) ...")
        process = start_server(port, home=Path(".prefect-home"), log=Path(".prefect-home/server.log"))
        api = f"http://127.0.0.1:{port}/api"
    elif not api:
        _fail(RuntimeError("--no-server needs PREFECT_API_URL, e.g. http://127.0.0.1:4200/api"))
    typer.echo(f"Prefect UI: {api.removesuffix('/api')}  (deployments: scheduled-retrain, drift-monitor, recalibrate)")
    import signal

    def stop(*_):  # `kill` or a service manager: shut both children down like Ctrl-C does
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, stop)
    served = None
    try:
        served = subprocess.Popen([sys.executable, "-m", "flows.serve"], env={**os.environ, "PREFECT_API_URL": api})
        served.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for child in (served, process):
            if child is not None and child.poll() is None:
                child.terminate()
                try:
                    child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.kill()


app.add_typer(generators_app, name="generators")


@_command(causal_app, "discover")
def causal_discover(data: Path = typer.Option(..., help="CSV or Parquet file"), target: str = typer.Option(...),
                    categorical: Optional[str] = typer.Option(None, help="comma-separated categorical columns"),
                    knowledge: Optional[Path] = typer.Option(None, help="YAML: tiers {col: n}, forbidden, required "
                                                                        "[[a, b], ...]"),
                    alpha: float = typer.Option(0.01, help="PC significance level"),
                    out: Path = typer.Option(..., help="map file to write, e.g. configs/my_graph.yaml")) -> None:
    """Propose a causal map with PC (causal-learn) and background knowledge, marked as not yet reviewed."""
    from augmentation.causal.discovery import discover_map
    from augmentation.data import io
    from tasks.maps import write_map
    from tasks.params import read_yaml
    frame = io.read_table(data)
    if target not in frame.columns:
        raise OversamplingError(f"the target {target!r} is not a column of {data}", "pass --target with a column name")
    bk = read_yaml(knowledge, what="background knowledge file", fix="fix --knowledge") if knowledge else {}
    unknown = sorted(set(bk or {}) - {"tiers", "forbidden", "required"})
    if unknown:
        raise OversamplingError(f"unknown key {unknown[0]!r} in {knowledge}", "use only tiers, forbidden, required")
    proposal, guessed = discover_map(frame, label=target, alpha=alpha, categorical=_columns(categorical),
                                     tiers=bk.get("tiers") or {},
                                     forbidden=[tuple(e) for e in bk.get("forbidden") or ()],
                                     required=[tuple(e) for e in bk.get("required") or ()])
    discovered = {"method": "pc (causal-learn, Fisher-z)", "alpha": alpha, "data": str(data),
                  "unoriented_edges_guessed": [list(e) for e in guessed], "reviewed": False}
    write_map(proposal, out, extra={"discovered": discovered},
              header="Proposed by `oversample causal discover`: a hypothesis, not a truth. Check every edge\n"
                     "(the unoriented_edges_guessed were oriented by column order), add types, bounds, immutables,\n"
                     "then set discovered.reviewed: true. The pipeline refuses the map until then.\n")
    typer.echo(f"wrote {len(proposal.edges)} edges ({len(guessed)} orientations guessed) to {out}; review it, "
               "then name it in data.graph")


app.add_typer(causal_app, name="causal")

if __name__ == "__main__":
    app()
