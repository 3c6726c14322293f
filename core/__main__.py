"""Command line: python3 -m core list | knobs LAB | run LAB [--set key=value ...] [--json] |
study LAB NAME [--set key=value ...] [--json] | sweep LAB --vary key=v1,v2 [--seeds N]
[--metric NAME] | precompute [LAB ...] | bench [LAB ...] [--sweep].

Exit codes: 0 success, 1 when the cache cannot be written, 2 for a bad lab name, preset name,
knob name or value (the message names which). A bad RNNLAB_* setting does not stop a command:
it is reported on stderr and its default is used.
"""
from __future__ import annotations

import argparse
import sys

from core.device import configure_threads, exit_process
from core.contract import ConfigError, config_dict, knobs
from core.settings import settings_problems
from core.labs import all_labs, get_lab
from core.cli_sweep import add_sweep_parser
from core.sweep_spec import parse_sets


def cmd_run(args) -> int:
    lab = get_lab(args.lab)
    config = lab.make_config(parse_sets(args.set or []))
    if getattr(args, "study", None):
        study = lab.study(args.study)
        result = study.run(config, on_step=_progress(args))
    else:
        result = lab.run(config, on_step=_progress(args))
    if args.json:
        print(result.to_json(indent=1))
    else:
        scalars = {k: v for k, v in result.metrics.items() if isinstance(v, (int, float))}
        print(f"{lab.id}: {result.status} after {result.steps} steps in {result.wall_s:.1f}s; "
              f"success={result.success}")
        for key, value in scalars.items():
            print(f"  {key}: {value}")
        if result.message:
            print(f"  note: {result.message}")
    return 0


def _progress(args):
    def progress(step, metrics):
        if not args.json and "eval" in metrics:
            shown = {k: round(v, 4) for k, v in metrics.items()
                     if isinstance(v, float) and k != "progress"}
            series = f" {metrics['series']}" if metrics.get("series") else ""
            print(f"step {step}{series}: {shown}", file=sys.stderr)
    return progress


def cmd_list(args) -> int:
    del args
    for lab in all_labs().values():
        studies = ", ".join(s.name for s in lab.studies)
        print(f"{lab.id:<14} {lab.question}" + (f" (studies: {studies})" if studies else ""))
    return 0


def cmd_knobs(args) -> int:
    lab = get_lab(args.lab)
    defaults = config_dict(lab.Config())
    for f in knobs(lab.Config):
        meta = f.metadata
        bounds = (f"one of {', '.join(map(str, meta['choices']))}" if meta["choices"]
                  else f"{meta['min']}..{meta['max']}" if meta["min"] is not None else "")
        print(f"{f.name:<16} default {defaults[f.name]!s:<12} {bounds}  {meta['help']}")
    return 0


def cmd_precompute(args) -> int:
    from core.precompute import precompute
    labs = [get_lab(name) for name in args.labs] if args.labs else list(all_labs().values())
    try:
        precompute(labs, preset_names=args.preset, log=lambda line: print(line, flush=True))
    except OSError as exc:
        print(f"error: cannot write the cache: {exc}", file=sys.stderr)
        return 1
    return 0


def shown_name(name: str, limit: int = 60) -> str:
    """A name from the command line as an error message quotes it: at most `limit`
    characters of it, so a 10 kB argument does not fill the terminal."""
    text = repr(name[:limit])
    return text + f" (… {len(name)} characters)" if len(name) > limit else text


def unknown_lab(args) -> str | None:
    """The first lab name in the arguments that is no lab, as the error message says it."""
    names = [args.lab] if getattr(args, "lab", None) is not None else []
    names += list(getattr(args, "labs", None) or [])
    for name in names:
        try:
            get_lab(name)
        except KeyError:
            return f"unknown lab {shown_name(name)}; known labs: {', '.join(all_labs())}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m core", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="labs and the question each answers")
    run = sub.add_parser("run", help="train a lab and print its Result")
    run.add_argument("lab")
    run.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a knob")
    run.add_argument("--json", action="store_true", help="print the Result as JSON")
    study = sub.add_parser("study", help="run one of a lab's declared studies (python -m "
                                         "core list names them)")
    study.add_argument("lab")
    study.add_argument("study")
    study.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a knob")
    study.add_argument("--json", action="store_true", help="print the Result as JSON")
    knob_cmd = sub.add_parser("knobs", help="a lab's knobs, defaults and bounds")
    knob_cmd.add_argument("lab")
    add_sweep_parser(sub)
    pre = sub.add_parser("precompute", help="run every preset and cache its Result")
    pre.add_argument("labs", nargs="*", help="only these labs")
    pre.add_argument("--preset", action="append", help="only presets with this name")
    bench = sub.add_parser("bench", help="time every lab's default to its success criterion")
    bench.add_argument("labs", nargs="*", help="only these labs")
    bench.add_argument("--json", action="store_true")
    bench.add_argument("--kernels", action="store_true",
                       help="instrumented replay vs fused kernel, per step")
    bench.add_argument("--threads", action="store_true",
                       help="throughput of concurrent runs against torch threads per run")
    bench.add_argument("--sweep", action="store_true",
                       help="a 3x4x3 sweep on embedded Ray against the same grid in-process")
    bench.add_argument("--arms-at-once", type=int, metavar="N",
                       help="train at most N of a run's models at once (1: one after another)")
    bench.add_argument("--save-times", metavar="PATH",
                       help="also write each lab's first-figure and full-picture seconds, with "
                            "this machine, to PATH (the pages read assets/bench_times.json)")
    args = parser.parse_args(argv)
    for problem in settings_problems():
        print(f"warning: {problem}", file=sys.stderr)
    configure_threads()
    problem = unknown_lab(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        if args.command == "list":
            return cmd_list(args)
        if args.command in ("run", "study"):
            return cmd_run(args)
        if args.command == "knobs":
            return cmd_knobs(args)
        if args.command == "precompute":
            return cmd_precompute(args)
        if args.command == "sweep":
            from core.cli_sweep import cmd_sweep
            return cmd_sweep(args)
        from core.bench import cmd_bench
        return cmd_bench(args)
    except (ConfigError, KeyError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) else str(exc)
        print(f"error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    exit_process(main())
