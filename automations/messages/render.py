"""Messages from Jinja2 templates: every email has a text part and an HTML part.

A message kind ``K`` is two templates, ``K.txt.j2`` and ``K.html.j2``. The text template
declares, at its top, the PHI level and the subject::

    {% set phi = "none" %}{% set subject = "Your work queue" %}

A practice overrides any template by placing one of the same name in its own templates folder.
Every template renders in Jinja's sandbox (a practice's file must not reach into Python), and the
PHI a message is protected as is the stronger of what its kind carries (fixed in code, see
``kinds.py``) and what its template declares.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import pass_context
from jinja2.environment import TemplateModule
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from ..errors import TemplateError
from ..rules.dates import people_day
from ..rules.findings import SEVERITY_NAMES
from .policy import PHI_LEVELS

BUILTIN_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
MAX_OUTPUT = 1_000_000
"""Characters one part of one message may come to."""
MAX_SECONDS = 5.0
"""Seconds one part may take to render."""
MAX_CALLS = 200_000
"""Calls (functions, methods, macros) one part may make: a macro that calls itself twice, forty deep,
would otherwise run for days."""
MAX_NUMBER = 100_000
"""The largest count a template may hand a function or filter, or repeat a text or list by; `range`
counts every item it gives against it, over the whole part."""
_WIDE_FORMAT = re.compile(r"%[-+ #0]*(\d{6,}|\*)|\{[^}]*:[^}]*\d{6,}")


class Budget:
    """What one part of a message may still spend: its time, calls and items counted."""

    def __init__(self) -> None:
        self.deadline = time.monotonic() + MAX_SECONDS
        self.calls = MAX_CALLS
        self.items = MAX_NUMBER

    def tick(self) -> None:
        self.calls -= 1
        if self.calls < 0:
            raise SecurityError(f"more than {MAX_CALLS:,} calls")
        if not self.calls % 256 and time.monotonic() > self.deadline:
            raise SecurityError(f"it takes more than {MAX_SECONDS:g} seconds")


_budget: ContextVar[Budget] = ContextVar("render_budget")


def _spent() -> Budget:
    budget = _budget.get(None)
    if budget is None:  # rendered outside Templates.render (a test's own): a budget of its own
        budget = Budget()
        _budget.set(budget)
    return budget


def _small(values: Iterable[object]) -> None:
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
            raise SecurityError(f"the number {value} is larger than a template may use ({MAX_NUMBER:,})")
        if isinstance(value, str) and _WIDE_FORMAT.search(value):
            raise SecurityError("a format wider than a template may use")


class BoundedSandbox(SandboxedEnvironment):
    """Jinja's sandbox, with the limits a template from a practice's folder needs: it must never hang a
    run or `check`, nor take its memory (a loop in a loop over range, `'x' * 10**10`, a macro
    recursing both ways). Every call, filter, repetition and range is counted against a budget, and
    the output against MAX_OUTPUT characters and MAX_SECONDS; past them the template is refused with
    one line, like any other template that cannot be used."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals.pop("lipsum", None)
        self.globals["range"] = _bounded_range
        self.filters = {name: _bounded(name, f) for name, f in self.filters.items()}
        self.filters["day"] = _day_filter
        self.filters["urgency"] = lambda severity: SEVERITY_NAMES.get(str(severity), str(severity))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # Jinja's own names
        _spent().tick()
        _small(args)
        _small(kwargs.values())
        if getattr(__obj, "__name__", "") in ("format", "format_map", "ljust", "rjust", "center", "zfill",
                                               "expandtabs") and isinstance(getattr(__obj, "__self__", None), str):
            _small([__obj.__self__])
        return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, (int, float)) and (abs(right) > 64 or (
                isinstance(left, (int, float)) and abs(left) > MAX_NUMBER)):
            raise SecurityError("a power larger than a template may use")
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if isinstance(sequence, (str, list, tuple)) and isinstance(times, int) and \
                        len(sequence) * times > MAX_OUTPUT:
                    raise SecurityError("a repetition longer than a message may be")
        return super().call_binop(context, operator, left, right)


@pass_context
def _day_filter(context: Any, value: object) -> str:
    """The `|day` filter: `2026-11-27` (or a date) as `Fri Nov 27`, with its year when that is not
    the year of the message's `today`; anything else as it is."""
    from datetime import date as day_type

    try:
        day = value if isinstance(value, day_type) else day_type.fromisoformat(str(value))
    except ValueError:
        return str(value)
    try:
        today = day_type.fromisoformat(str(context.get("today")))
    except ValueError:
        today = None
    return people_day(day, today)


def _bounded_range(*args: int) -> range:
    _small(args)
    span = range(*args)
    budget = _spent()
    budget.items -= len(span)
    if budget.items < 0:
        raise SecurityError(f"more than {MAX_NUMBER:,} items of range in one message")
    return span


def _bounded(name: str, function: Any) -> Any:
    """A filter that counts against the budget and takes no count larger than MAX_NUMBER (the value it
    filters may be any size; `format`'s pattern, its value, no wider than a message)."""
    value_at = 1 if hasattr(function, "jinja_pass_arg") else 0

    def bounded(*args: Any, **kwargs: Any) -> Any:
        _spent().tick()
        _small(args[value_at + 1:])
        _small(kwargs.values())
        if name == "format" and len(args) > value_at:
            _small([args[value_at]])
        return function(*args, **kwargs)

    if hasattr(function, "jinja_pass_arg"):
        bounded.jinja_pass_arg = function.jinja_pass_arg  # type: ignore[attr-defined]
    bounded.__name__ = getattr(function, "__name__", name)
    return bounded


def _bounded_output(chunks: Iterable[str]) -> list[str]:
    """The chunks a part renders to, stopped at MAX_OUTPUT characters or MAX_SECONDS."""
    budget, size, kept = _spent(), 0, []
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_OUTPUT:
            raise SecurityError(f"it comes to more than {MAX_OUTPUT:,} characters")
        if time.monotonic() > budget.deadline:
            raise SecurityError(f"it takes more than {MAX_SECONDS:g} seconds")
        kept.append(chunk)
    return kept


@dataclass(frozen=True)
class Rendered:
    kind: str
    phi: str
    subject: str
    text: str
    html: str




def _module(template: jinja2.Template, context: dict[str, Any]) -> TemplateModule:
    """The rendered part (its declarations readable as attributes), within a budget of its own."""
    token = _budget.set(Budget())
    try:
        ctx = template.new_context(context)
        return TemplateModule(template, ctx, _bounded_output(template.root_render_func(ctx)))
    finally:
        _budget.reset(token)


class Templates:
    def __init__(self, practice_dir: Path | None = None):
        self.folders = [str(p) for p in (practice_dir, BUILTIN_TEMPLATES) if p is not None and Path(p).is_dir()]
        loader = jinja2.FileSystemLoader(self.folders)
        self.text_env = BoundedSandbox(loader=loader, undefined=jinja2.StrictUndefined, autoescape=False,
                                       keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
        self.html_env = BoundedSandbox(loader=loader, undefined=jinja2.StrictUndefined, autoescape=True,
                                       trim_blocks=True, lstrip_blocks=True)

    def render(self, kind: str, phi_floor: str = "none", **context: Any) -> Rendered:
        """Render both parts. ``phi_floor``: the least PHI the kind carries; a template declaring less
        is protected as the floor all the same."""
        with _template_errors(kind, self.folders):
            text_module = _module(self.text_env.get_template(f"{kind}.txt.j2"), context)
            html = "".join(_module(self.html_env.get_template(f"{kind}.html.j2"), context)._body_stream)
        phi = _declared_phi(kind, text_module, phi_floor)
        subject = getattr(text_module, "subject", None)
        if not subject:
            raise TemplateError(f"{kind}.txt.j2 must declare a subject: {{% set subject = \"...\" %}}")
        return Rendered(kind, phi, " ".join(str(subject).split()), str(text_module).strip() + "\n", html)

    def render_text(self, kind: str, phi_floor: str = "none", **context: Any) -> Rendered:
        """A text message: one template, ``K.txt.j2``, declaring its PHI; no subject, no HTML."""
        with _template_errors(kind, self.folders):
            module = _module(self.text_env.get_template(f"{kind}.txt.j2"), context)
        return Rendered(kind, _declared_phi(kind, module, phi_floor), "", str(module).strip(), "")


def _declared_phi(kind: str, module: TemplateModule, phi_floor: str) -> str:
    phi = getattr(module, "phi", None)
    if phi not in PHI_LEVELS:
        raise TemplateError(f"{kind}.txt.j2 must declare its PHI level: {{% set phi = \"none\" %}}")
    return max(str(phi), phi_floor, key=PHI_LEVELS.index)


@contextmanager
def _template_errors(kind: str, folders: list[str]) -> Iterator[None]:
    """Whatever a template does wrong, as one TemplateError naming it."""
    try:
        yield
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"template {exc.name} not found in {', '.join(folders)}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"template {exc.name or kind}: line {exc.lineno}: {exc.message}") from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"template {kind}: {exc.message} (the message gives it no such value)") from None
    except jinja2.exceptions.SecurityError as exc:
        raise TemplateError(f"template {kind}: not allowed in a template: {exc}") from None
    except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError, LookupError, AttributeError,
            RecursionError, MemoryError) as exc:
        raise TemplateError(f"template {kind}: cannot be rendered: {exc.__class__.__name__}: {exc}") from None
