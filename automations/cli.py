"""The command line. Each command parses its arguments and calls one library function."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import traceback
from datetime import date, datetime
from pathlib import Path

from . import config as config_module
from . import jobs, scheduler, setup_check
from . import preview as preview_module
from .errors import ConfigError, PracticeOpsError
from .folders import write_private_log
from .reports.console import summary
from .rules.reference import rule_reference

EXIT_OK, EXIT_INTERNAL, EXIT_UNUSABLE = 0, 1, 2


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in the form YYYY-MM-DD") from None


def _datetime(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date and time (2026-11-26T07:00-05:00)") from None


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("practice-ops")
    except PackageNotFoundError:
        return "(not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="run.py", description="practice-ops: keep a therapy practice's back office honest.")
    parser.add_argument("--config", type=Path, default=config_module.DEFAULT_CONFIG,
                        help="the practice's config (default: config/practice.toml)")
    parser.add_argument("--agency", type=Path, help="an agency file: check, run and serve every practice it lists")
    parser.add_argument("--version", action="version", version=f"practice-ops {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_parser = commands.add_parser

    def command(name: str, **kwargs) -> argparse.ArgumentParser:
        """A command that also takes --config after its name (`run.py check --config x.toml`); its
        `--help` opens with what it does (its help line, as a sentence)."""
        if "help" in kwargs and "description" not in kwargs:
            kwargs["description"] = kwargs["help"][:1].upper() + kwargs["help"][1:] + "."
        sub = add_parser(name, **kwargs)
        sub.add_argument("--config", type=Path, default=argparse.SUPPRESS, help="the practice's config")
        return sub

    commands.add_parser = command  # type: ignore[method-assign]

    def dated(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--today", type=_date, help="run as if today were YYYY-MM-DD")
        sub.add_argument("--now", type=_datetime, help="run as if it were this ISO date and time")
        sub.add_argument("--json", action="store_true", help="print one JSON object on stdout")
        sub.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
        sub.add_argument("--verbose", action="store_true", help="log what each step did (never PHI) on stderr")

    dated(commands.add_parser("check", help="validate the config and every tracker; list each data problem"))
    run = commands.add_parser("run", help="run one job once: reconcile, reminders, digests, weekly-summary, all")
    run.add_argument("job", choices=(*jobs.JOBS, "all", "overview"), metavar="JOB",
                     help=f"one of: {', '.join((*jobs.JOBS, 'all'))} (all: every job on one read of the trackers); "
                          f"with --agency also overview (the lead's workbook and note)")
    run.add_argument("--practice", help="with --agency: only this practice (its id, as `check --agency` shows)")
    run.add_argument("--dry-run", action="store_true", help="render and report everything; send, write and record "
                                                             "nothing")
    dated(run)
    serve = commands.add_parser("serve", help="run the jobs on the config's [schedule] until Ctrl-C")
    serve.add_argument("--verbose", action="store_true", help="log each run (never PHI)")
    serve.add_argument("--run-now", action="store_true", help="run every scheduled job once at the start, then "
                                                               "keep to the schedule")
    preview = commands.add_parser("preview", help="render a message for a record without sending it")
    preview.add_argument("kind", choices=tuple(preview_module.KINDS), metavar="KIND",
                         help="one of: " + ", ".join(f"{kind} {what}".strip() for kind, what in preview_module.KINDS.items()))
    preview.add_argument("record", nargs="?", help="the appointment id, client id, prospect id or provider")
    preview.add_argument("--html", type=Path, help="also write the HTML part to this file")
    dated(preview)
    init = commands.add_parser("init", help="a new practice: config, blank trackers, templates")
    init.add_argument("folder", type=Path)
    init.add_argument("--name", default="My Practice", help="the practice's name")
    rules = commands.add_parser("rules", help="print the rule reference")
    rules.add_argument("--markdown", action="store_true", help="as Markdown (docs/rules.md)")
    move = commands.add_parser("move-ledger", help="with --agency: move a practice's ledger into the agency's "
                                                   "PostgreSQL, its audit chain verified there")
    move.add_argument("--practice", required=True, help="the practice's id, as `check --agency` shows")
    audit = commands.add_parser("audit", help="the audit log")
    audit.add_argument("action", choices=["verify", "binder"],
                       help="verify: check the audit log's chain; binder: write the compliance binder workbook")
    audit.add_argument("--today", type=_date, help="the binder's date (YYYY-MM-DD)")
    return parser


CRASH_LOG = "practice-ops-crash.log"
_state_dir: Path | None = None
"""Where a crash log goes once the config is known (the state folder, owner-only)."""


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _dispatch(args)
    except PracticeOpsError as exc:
        if getattr(args, "json", False):  # still one JSON object, as the contract promises
            problems = exc.problems if isinstance(exc, ConfigError) else [str(exc)]
            print(json.dumps({"findings": [], "messages": [], "data_issues": [], "errors": problems}, indent=2))
        return _explain(exc)
    except BrokenPipeError:  # `run.py check | head`: the reader left; nothing went wrong here
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print("practice-ops: stopped.", file=sys.stderr)
        return 130
    except Exception:  # the last line of defence: no user ever sees a traceback
        folder = _state_dir if _state_dir is not None and _state_dir.is_dir() else Path.cwd()
        crash = write_private_log(folder / CRASH_LOG, traceback.format_exc())  # a traceback may quote a cell
        where = f"; details for the developers are in {crash}" if crash else ""
        print(f"practice-ops hit an internal error and stopped{where}. Nothing was half-written.", file=sys.stderr)
        return EXIT_INTERNAL


def _explain(exc: PracticeOpsError) -> int:
    if isinstance(exc, ConfigError):
        print("The config cannot be used:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
    else:
        print(f"practice-ops: {exc}", file=sys.stderr)
    return EXIT_UNUSABLE


def _log_to_terminal(verbose: bool, serving: bool) -> None:
    """``serve`` keeps a log (each line timed); a one-off command speaks like its other lines."""
    timed = serving or verbose
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s" if timed
                        else "practice-ops: %(message)s")


def _dispatch(args: argparse.Namespace) -> int:
    if args.agency is not None:
        return _dispatch_agency(args)
    if args.command in ("move-ledger",) or getattr(args, "practice", None) or getattr(args, "job", "") == "overview":
        raise PracticeOpsError(f"`{args.command}` with --practice, move-ledger and the overview are an agency's: "
                               f"add --agency agency.toml")
    if args.command == "rules":
        print(rule_reference(markdown=args.markdown))
        return EXIT_OK
    if args.command == "init":
        from . import new_practice  # openpyxl: loaded only to make blank trackers

        for path in new_practice.init_practice(args.folder, args.name):
            print(path)
        print(f"Next: fill in {args.folder / 'practice.toml'}, then run: python run.py --config "
              f"{args.folder / 'practice.toml'} check")
        return EXIT_OK
    config = setup_check.load_config(args.config)
    global _state_dir
    _state_dir = config.state.dir
    if args.command == "serve":
        _log_to_terminal(args.verbose, serving=True)
        return scheduler.serve(config, run_now=args.run_now)
    if args.command == "audit" and args.action == "binder":
        today = args.today or jobs.resolve_clock(config, None, None)[0]
        print(f"compliance binder written to {jobs.compliance_binder(config, today)}")
        return EXIT_OK
    if args.command == "audit":
        checked, problems = jobs.verify_audit(config)
        for problem in problems:
            print(problem)
        print(f"audit log: {checked} entries, {'intact' if not problems else f'{len(problems)} problem(s)'}")
        return EXIT_OK if not problems else EXIT_UNUSABLE
    _log_to_terminal(args.verbose, serving=False)
    today, now = jobs.resolve_clock(config, args.today, args.now)
    if args.command == "preview":
        shown = preview_module.preview(config, args.kind, args.record, today, now)
        print(shown.as_text())
        if args.html:
            print(f"HTML written to {preview_module.write_html(shown, args.html)}", file=sys.stderr)
        return EXIT_OK
    progress = (lambda _: None) if args.quiet else (lambda line: print(line + "…", file=sys.stderr))
    # with --json, stdout is the JSON alone: anything a library prints while the job runs goes to stderr
    with contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext():
        if args.command == "check":
            result = jobs.check(config, today, progress, now)
        else:
            result = jobs.run(config, args.job, today, now, progress, dry_run=args.dry_run)
    if args.json:
        print(json.dumps(result.to_json(), indent=2, default=str))
    else:
        if args.command == "check":
            for issue in result.data_issues:
                print(issue)
        print(summary(result.findings, [m.to_dict() for m in result.messages], len(result.data_issues),
                      str(result.work_queue) if result.work_queue else None, result.unavailable, result.notices,
                      today))
    return EXIT_OK if result.usable else EXIT_UNUSABLE


def _dispatch_agency(args: argparse.Namespace) -> int:
    """The agency's commands: each calls one function of automations.agency."""
    from . import agency

    group = agency.load_agency(args.agency)
    global _state_dir
    _state_dir = group.state_dir
    say = (lambda line: print(line, flush=True))
    if args.command == "serve":
        _log_to_terminal(args.verbose, serving=True)
        return agency.serve(group, say)
    _log_to_terminal(getattr(args, "verbose", False), serving=False)
    if args.command == "check":
        return EXIT_OK if agency.check(group, args.today, say) else EXIT_UNUSABLE
    if args.command == "run":
        if args.dry_run:
            raise PracticeOpsError("--dry-run is for one practice: run.py --config PRACTICE.toml run JOB --dry-run")
        results = agency.run(group, args.job, args.practice, args.now, say)
        return EXIT_OK if all(r.get("outcome") == "ok" for r in results) else EXIT_UNUSABLE
    if args.command == "move-ledger":
        print(agency.move_ledger(group, args.practice, datetime.now().astimezone()))
        return EXIT_OK
    raise PracticeOpsError(f"`{args.command}` is for one practice: run.py --config PRACTICE.toml {args.command}")
