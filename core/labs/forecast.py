"""Forecasting: feed predictions back (iterative) or predict all H steps at once (direct)?

Trains a one-step recurrent forecaster and a direct one-to-many forecaster of the same size on
the same windows of one system (core.tasks.dynamics), then measures the error at every horizon
on held-out windows and sets it beside the bounds in core.analysis.error_growth.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import numpy as np
import torch

from core.analysis.error_growth import (classify_growth, expected_regime, growth_power,
                                        growth_rate, iterative_bound, per_window_errors,
                                        saturation_level, summarise)
from core.contract import LabSpec, Preset, Result, knob
from core.device import pick_device, seed_everything, seeded_generator
from core.models.forecaster import DirectForecaster, OneStepForecaster, parameter_count
from core.tasks.dynamics import SystemWindows, make_system
from core.train import phase_reporter, train

SYSTEMS = ("linear", "logistic", "lorenz", "sunspots", "csv")
TEST_WINDOWS = 256
EXAMPLES = 3
RATE_TOLERANCE = 0.35  # chaotic systems: fitted rate within ±35% of the known exponent


@dataclass
class Config:
    system: str = knob("linear", "System", "linear: x → L·x. logistic: "
                       "x → r·x·(1-x). lorenz: Lorenz-63 by RK4. sunspots: yearly sunspot "
                       "numbers 1700–2008. csv: a column of your own file.", choices=SYSTEMS)
    lipschitz: float = knob(1.1, "Lipschitz constant L", "The linear map stretches every "
                            "distance by exactly L: < 1 contracts, = 1 preserves, > 1 expands.",
                            min=0.7, max=1.25, step=0.01, visible_if={"system": ("linear",)})
    r: float = knob(4.0, "Logistic r", "r = 4 is fully chaotic with Lyapunov exponent ln 2; "
                    "below about 3.57 the map settles into cycles.", min=3.5, max=4.0,
                    step=0.01, visible_if={"system": ("logistic",)})
    dt: float = knob(0.15, "Lorenz sample step Δt", "Time units between samples; the error "
                     "should grow by about 0.906·Δt in log per step.", min=0.01, max=0.2,
                     step=0.01, visible_if={"system": ("lorenz",)})
    context: int = knob(8, "Context C", "Observed steps before the forecast starts.",
                        min=2, max=60)
    horizon: int = knob(30, "Horizon H", "Steps forecast ahead.", min=2, max=100)
    cell: str = knob("gru", "Cell", "Recurrent core of both forecasters.",
                     choices=("rnn", "gru", "lstm"))
    hidden: int = knob(32, "Hidden units", "Same for both forecasters.", min=4, max=128, step=4)
    training: str = knob("teacher_forcing", "Iterative training", "teacher_forcing: the "
                         "one-step model always reads the true past. own_rollouts: it is "
                         "trained on its own H-step rollouts, backpropagating through them.",
                         choices=("teacher_forcing", "own_rollouts"))
    lr: float = knob(0.005, "Learning rate", "Adam step size.", min=1e-5, max=0.1,
                     widget="log")
    steps: int = knob(600, "Training steps", "Optimiser steps for each forecaster.",
                      min=0, max=5000, step=50)
    batch: int = knob(64, "Batch size", "Windows per step.", min=8, max=512, step=8)
    eval_every: int = knob(50, "Measure every", "Steps between held-out measurements.",
                           min=5, max=500, step=5)
    seed: int = knob(0, "Seed", "Fixes data and initial weights.", min=0, max=2**31 - 1)


def build_system(config: Config, series: np.ndarray | None = None) -> SystemWindows:
    return make_system(config.system, config.context, config.horizon,
                       lipschitz=config.lipschitz, r=config.r,
                       dt=config.dt, series=series)


def _train_model(kind: str, system: SystemWindows, config: Config, device, stats, test,
                 on_step, should_stop, progress_base: float):
    C, H = system.context, system.horizon
    seed_everything(config.seed)  # both models start from the same weight stream
    if kind == "iterative":
        model = OneStepForecaster(system.dim, config.hidden, config.cell, *stats).to(device)
    else:
        model = DirectForecaster(system.dim, config.hidden, H, config.cell, *stats).to(device)
    data_gen = seeded_generator(config.seed)  # ...and read the same training windows
    scale = model.scale
    warmup = max(1, C // 2)

    def step_fn(step: int):
        w = system.sample(config.batch, data_gen, "train").to(device)
        if kind == "iterative" and config.training == "teacher_forcing":
            pred, target = model(w[:, :-1])[:, warmup - 1:], w[:, warmup:]
        else:
            pred, target = model.rollout(w[:, :C], H), w[:, C:]
        return (((pred - target) / scale) ** 2).mean()

    def evaluate(step: int) -> dict:
        with torch.no_grad():
            pred = model.rollout(test[:, :C], H)
            err = per_window_errors(pred.cpu().numpy(), test[:, C:].cpu().numpy())
        return {"one_step_error": float(np.median(err[:, 0])),
                "horizon_error": float(np.median(err[:, -1]))}

    report = phase_reporter(on_step, kind, config.steps, progress_base, 0.5)

    log = train(model.parameters(), step_fn, steps=config.steps, lr=config.lr, clip=1.0,
                evaluate=evaluate, eval_every=config.eval_every, on_step=report,
                should_stop=should_stop)
    return model, log


def _stats(system: SystemWindows, seed: int):
    sample = system.sample(2048, seeded_generator(seed + 7), "train").numpy()
    flat = sample.reshape(-1, system.dim)
    return flat.mean(0), np.maximum(flat.std(0), 1e-6)


def run(config: Config, on_step=None, should_stop=None, series: np.ndarray | None = None) -> Result:
    """Train both forecasters and measure their error by horizon. `series` is the column of
    an uploaded CSV (system = "csv"); the page validates it with core.tasks.series_csv."""
    start = time.perf_counter()
    device = pick_device()
    system = build_system(config, series)
    C, H = system.context, system.horizon
    test = system.sample(TEST_WINDOWS, seeded_generator(config.seed + 1), "test").to(device)
    stats = _stats(system, config.seed)
    models, logs = {}, {}
    for i, kind in enumerate(("iterative", "direct")):
        if i and (should_stop is not None and should_stop()):
            break
        models[kind], logs[kind] = _train_model(kind, system, config, device, stats, test,
                                                on_step, should_stop, 0.5 * i)
    truth = test[:, C:].cpu().numpy()
    errors, preds = {}, {}
    for kind, model in models.items():
        with torch.no_grad():
            preds[kind] = model.rollout(test[:, :C], H).cpu().numpy()
        errors[kind] = summarise(per_window_errors(preds[kind], truth))
    # Persistence (repeat the last observed value) is the baseline any forecaster should beat.
    last = test[:, C - 1:C].cpu().numpy()
    errors["persistence"] = summarise(per_window_errors(np.repeat(last, H, axis=1), truth))
    metrics, arrays, success, verdict = _measure(system, errors, truth, test, preds, models)
    log = logs["iterative"]
    stopped = [l for l in logs.values() if l.status in ("stopped", "diverged")]
    status = stopped[0].status if stopped else ("succeeded" if success else "completed")
    history = [{**h, "series": kind} for kind, l in logs.items() for h in l.history]
    message = " ".join([verdict] + [l.message for l in logs.values() if l.message]).strip()
    return Result(lab="forecast", config=vars(config).copy(), metrics=metrics,
                  success=success and not stopped, status=status,
                  steps=log.steps,  # per model: both forecasters train the same steps
                  wall_s=time.perf_counter() - start, history=history, arrays=arrays,
                  message=message, artifacts={"models": models, "system": system})


def _measure(system, errors, truth, test, preds, models):
    it, di = errors["iterative"], errors.get("direct")
    H = system.horizon
    chaotic = system.name in ("logistic", "lorenz")
    sat = saturation_level(test.cpu().numpy()) if system.name != "linear" else None
    rate_it, n_it = growth_rate(it.median, sat)
    rate_di, n_di = growth_rate(di.median, sat) if di else (float("nan"), 0)
    ref = system.lyapunov_per_step if system.lyapunov_per_step is not None else float("nan")
    eps = it.median[0]
    # Theory curves: the map's Lipschitz constant for the linear system; for the chaotic ones
    # the average stretch per step e^λ (a Lyapunov estimate, not a strict bound).
    stretch = system.lipschitz if system.name == "linear" else (math.exp(ref) if chaotic else None)
    regime = classify_growth(it.median)
    metrics = {
        "error_by_horizon_iterative": it.median,
        "error_by_horizon_direct": di.median if di else [],
        "growth_rate_iterative": rate_it,
        "growth_rate_direct": rate_di,
        "reference_growth_rate": ref,
        "growth_fit_points": n_it,
        "growth_power_iterative": growth_power(it.median),
        "growth_power_direct": growth_power(di.median) if di else float("nan"),
        "one_step_error_iterative": eps,
        "one_step_error_direct": di.median[0] if di else float("nan"),
        "final_error_iterative": it.median[-1],
        "final_error_direct": di.median[-1] if di else float("nan"),
        "error_by_horizon_persistence": errors["persistence"].median,
        "growth_factor_iterative": it.median[-1] / it.median[0],
        "growth_factor_direct": di.median[-1] / di.median[0] if di else float("nan"),
        "rmse_by_horizon_iterative": it.rmse,
        "rmse_by_horizon_direct": di.rmse if di else [],
        "saturation_level": sat if sat is not None else float("nan"),
        "parameters": {k: parameter_count(m) for k, m in models.items()},
    }
    arrays = {
        "horizon_steps": list(range(1, H + 1)),
        "spread": {k: {"q25": e.q25, "q75": e.q75} for k, e in errors.items()
                   if k != "persistence"},
        "theory_iterative": iterative_bound(eps, stretch, H) if stretch else [],
        "theory_stretch": stretch,
        "regime": regime,
        "system": system.name,
        "examples": {"context": test[:EXAMPLES, :system.context].cpu().numpy().tolist(),
                     "truth": truth[:EXAMPLES].tolist(),
                     **{k: p[:EXAMPLES].tolist() for k, p in preds.items()}},
    }
    success, verdict = _verdict(system, metrics, regime, di is not None)
    return metrics, arrays, success, verdict


def _verdict(system, m, regime, have_direct) -> tuple[bool, str]:
    """The lab's own criterion: the growth the theory predicts for this system is what we see,
    and the direct curve does not compound the way the iterative one does."""
    if not have_direct:
        return False, "Training stopped before the direct model was trained."
    # No compounding: from step 1 to step H the direct error grows by a smaller factor.
    direct_flatter = m["growth_factor_direct"] < m["growth_factor_iterative"]
    if system.name == "linear":
        want = expected_regime(system.lipschitz)
        ok = regime == want and (want == "bounded" or direct_flatter)
        return ok, (f"Iterative error looks {regime} (L = {system.lipschitz:g} predicts "
                    f"{want}); fitted rate {m['growth_rate_iterative']:.3f}/step vs "
                    f"ln L = {m['reference_growth_rate']:.3f}.")
    if system.name in ("logistic", "lorenz"):
        rate, ref = m["growth_rate_iterative"], m["reference_growth_rate"]
        near = math.isfinite(rate) and abs(rate - ref) <= RATE_TOLERANCE * abs(ref)
        return near and direct_flatter, (f"Fitted growth {rate:.3f}/step vs known exponent "
                                         f"{ref:.3f}/step over {m['growth_fit_points']} steps.")
    ok = m["one_step_error_iterative"] < m["error_by_horizon_persistence"][0]
    return ok, (f"One-step error {m['one_step_error_iterative']:.3g} (persistence "
                f"{m['error_by_horizon_persistence'][0]:.3g}), error at H "
                f"{m['final_error_iterative']:.3g} (iterative) vs {m['final_error_direct']:.3g} "
                "(direct).")


def sweep(config: Config, values: tuple, on_step=None, should_stop=None) -> Result:
    """Train at several Lipschitz constants (linear system) and collect fitted vs ln L."""
    start = time.perf_counter()
    points, runs = [], []
    for i, L in enumerate(values):
        if should_stop is not None and should_stop():
            break

        def forward(step, metrics, i=i, L=L):
            if on_step is not None:
                base = metrics.get("progress", 0.0)
                on_step(step, {**metrics, "series": f"L={L:g} {metrics.get('series', '')}",
                               "progress": (i + base) / len(values)})
        r = run(replace(config, system="linear", lipschitz=float(L)), forward, should_stop)
        runs.append(r)
        points.append({"lipschitz": float(L), "reference": r.metrics["reference_growth_rate"],
                       "measured": r.metrics["growth_rate_iterative"],
                       "regime": r.arrays["regime"],
                       "error_by_horizon_iterative": r.metrics["error_by_horizon_iterative"],
                       "error_by_horizon_direct": r.metrics["error_by_horizon_direct"]})
    ok = len(points) == len(values) and all(
        p["regime"] == expected_regime(p["lipschitz"]) for p in points)
    return Result(lab="forecast", config=vars(config).copy(),
                  metrics={"sweep_lipschitz": [p["lipschitz"] for p in points],
                           "sweep_measured_rate": [p["measured"] for p in points],
                           "sweep_reference_rate": [p["reference"] for p in points]},
                  success=ok, status="succeeded" if ok else "completed",
                  steps=sum(r.steps for r in runs), wall_s=time.perf_counter() - start,
                  arrays={"sweep": points}, message="")


LAB = LabSpec(
    id="forecast", title="Forecast Error Growth", order=70, icon=":material/query_stats:",
    question="Predict H steps ahead by feeding predictions back, or all at once — and how fast "
             "do the errors grow?",
    what_you_see="Error against horizon for an iterative and a direct forecaster of the same "
                 "size, beside the geometric-sum bound; the fitted growth rate against ln L or "
                 "the known Lyapunov exponent; forecasts drawn over the truth.",
    Config=Config, run=run,
    smoke={"steps": 20, "horizon": 10, "hidden": 8, "eval_every": 10},
    presets=(
        Preset("expansive: L = 1.1", "Errors fed back grow geometrically: the iterative curve "
               "rises like L^k while the direct one does not compound.", {},
               show=("lipschitz", "horizon")),
        Preset("critical: L = 1", "Errors accumulate linearly.", {"lipschitz": 1.0},
               show=("lipschitz",)),
        Preset("contractive: L = 0.8", "Errors fed back shrink: the iterative error stays "
               "bounded.", {"lipschitz": 0.8}, show=("lipschitz",)),
        Preset("chaos: logistic r = 4", "The fitted growth rate lands near the Lyapunov "
               "exponent ln 2 per step.", {"system": "logistic"}, show=("system", "r")),
        Preset("chaos: Lorenz-63", "Growth near 0.9 per unit time, times the step dt.",
               {"system": "lorenz"}, show=("system", "dt")),
    ),
)
