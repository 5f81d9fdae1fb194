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

from dataclasses import dataclass
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from ..errors import PracticeOpsError
from .policy import PHI_LEVELS

BUILTIN_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@dataclass(frozen=True)
class Rendered:
    kind: str
    phi: str
    subject: str
    text: str
    html: str


class TemplateError(PracticeOpsError):
    """A template that cannot be used: missing, not valid Jinja2, or asking for a value it is not given."""


class Templates:
    def __init__(self, practice_dir: Path | None = None):
        self.folders = [str(p) for p in (practice_dir, BUILTIN_TEMPLATES) if p is not None and Path(p).is_dir()]
        loader = jinja2.FileSystemLoader(self.folders)
        self.text_env = SandboxedEnvironment(loader=loader, undefined=jinja2.StrictUndefined, autoescape=False,
                                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
        self.html_env = SandboxedEnvironment(loader=loader, undefined=jinja2.StrictUndefined, autoescape=True,
                                             trim_blocks=True, lstrip_blocks=True)

    def render(self, kind: str, phi_floor: str = "none", **context) -> Rendered:
        """Render both parts. ``phi_floor``: the least PHI the kind carries; a template declaring less
        is protected as the floor all the same."""
        try:
            text_module = self.text_env.get_template(f"{kind}.txt.j2").make_module(context)
            html = self.html_env.get_template(f"{kind}.html.j2").render(**context)
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(f"template {exc.name} not found in {', '.join(self.folders)}") from None
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(f"template {exc.name or kind}: line {exc.lineno}: {exc.message}") from None
        except jinja2.UndefinedError as exc:
            raise TemplateError(f"template {kind}: {exc.message} (the message gives it no such value)") from None
        except jinja2.exceptions.SecurityError as exc:
            raise TemplateError(f"template {kind}: not allowed in a template: {exc}") from None
        except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
            raise TemplateError(f"template {kind}: cannot be rendered: {exc.__class__.__name__}: {exc}") from None
        phi = getattr(text_module, "phi", None)
        subject = getattr(text_module, "subject", None)
        if phi not in PHI_LEVELS:
            raise TemplateError(f"{kind}.txt.j2 must declare its PHI level: {{% set phi = \"none\" %}}")
        if not subject:
            raise TemplateError(f"{kind}.txt.j2 must declare a subject: {{% set subject = \"...\" %}}")
        phi = max(phi, phi_floor, key=PHI_LEVELS.index)
        return Rendered(kind, phi, " ".join(str(subject).split()), str(text_module).strip() + "\n", html)
