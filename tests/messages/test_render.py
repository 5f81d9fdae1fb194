from datetime import UTC, datetime

import pytest

from automations.errors import TemplateError
from automations.messages.compose import compose, message_id
from automations.messages.render import Templates

CONTEXT = dict(practice_name="Lakeside", today="2026-11-26", open=3, by_owner=[("va", 3)], urgent=1, overdue=0,
               data_issues=0, queue_name="q.xlsx", resolved=0, link="")


def test_builtin_template_has_text_html_phi_and_subject():
    rendered = Templates().render("va_work_queue", **CONTEXT)
    assert rendered.phi == "none"
    assert rendered.subject == "Lakeside: your work queue for Thu Nov 26"
    assert "3 open items" in rendered.text and "<strong>3</strong>" in rendered.html


def test_a_missing_variable_is_an_error_not_a_blank():
    with pytest.raises(TemplateError, match="'open' is undefined"):
        Templates().render("va_work_queue", **{k: v for k, v in CONTEXT.items() if k != "open"})


def test_html_is_escaped():
    rendered = Templates().render("va_work_queue", **{**CONTEXT, "practice_name": "<b>A&B</b>"})
    assert "&lt;b&gt;A&amp;B&lt;/b&gt;" in rendered.html


def test_a_practice_template_overrides_the_builtin_one(tmp_path):
    (tmp_path / "va_work_queue.txt.j2").write_text('{% set phi = "none" %}{% set subject = "Hi" %}Custom {{ open }}')
    rendered = Templates(tmp_path).render("va_work_queue", **CONTEXT)
    assert rendered.subject == "Hi" and rendered.text == "Custom 3\n"


def test_a_template_must_declare_its_phi_level(tmp_path):
    (tmp_path / "va_work_queue.txt.j2").write_text('{% set subject = "Hi" %}Body')
    with pytest.raises(TemplateError, match="PHI level"):
        Templates(tmp_path).render("va_work_queue", **CONTEXT)


def test_message_ids_are_deterministic_and_distinct():
    a = message_id("va_work_queue", "va@x.org", "2026-11-26", "Office <office@lakeside.example>")
    assert a == message_id("va_work_queue", "VA@x.org", "2026-11-26", "office@lakeside.example")
    assert a != message_id("va_work_queue", "va@x.org", "2026-11-27", "office@lakeside.example")
    assert a.endswith("@lakeside.example>")


def test_composed_message_has_both_parts_and_the_headers():
    rendered = Templates().render("va_work_queue", **CONTEXT)
    msg = compose(rendered, sender="Office <o@l.example>", to="va@l.example", msg_id="<id@l.example>",
                  now=datetime(2026, 11, 26, 7, tzinfo=UTC), subject_tag="[secure]")
    assert msg["Subject"] == "[secure] Lakeside: your work queue for Thu Nov 26"
    assert msg["Message-ID"] == "<id@l.example>"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]


def test_a_broken_practice_template_is_named_not_a_traceback(tmp_path):
    (tmp_path / "va_work_queue.txt.j2").write_text("{% if %}")
    with pytest.raises(TemplateError, match="va_work_queue.txt.j2: line 1"):
        Templates(tmp_path).render("va_work_queue", **CONTEXT)


def test_a_practice_template_may_raise_phi_but_never_lower_it(tmp_path):
    from automations.messages.render import Templates

    (tmp_path / "balance_notice.txt.j2").write_text('{% set phi = "none" %}{% set subject = "Hi" %}Hello\n')
    (tmp_path / "balance_notice.html.j2").write_text("<p>Hello</p>")
    assert Templates(tmp_path).render("balance_notice", "limited").phi == "limited"
    (tmp_path / "balance_notice.txt.j2").write_text('{% set phi = "full" %}{% set subject = "Hi" %}Hello\n')
    assert Templates(tmp_path).render("balance_notice", "limited").phi == "full"


@pytest.mark.parametrize("body", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.system('echo pwned') }}",
    "{{ practice_name.__class__.__base__ }}"])
def test_practice_templates_cannot_reach_into_python(tmp_path, body):
    from automations.errors import TemplateError
    from automations.messages.render import Templates

    (tmp_path / "balance_notice.txt.j2").write_text('{% set phi = "limited" %}{% set subject = "Hi" %}' + body)
    (tmp_path / "balance_notice.html.j2").write_text("<p>x</p>")
    with pytest.raises(TemplateError):
        Templates(tmp_path).render("balance_notice", "limited", practice_name="P", sender_name="P",
                                   office_phone="")


HOSTILE = {
    "loop in a loop over range": "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
    "a text repeated 10**10 times": "{{ 'x' * 10**10 }}",
    "a power": "{{ 9 ** 999999 }}",
    "a macro recursing both ways": "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
                                   "{{ f(40) }}",
    "a centred word ten billion wide": "{{ 'x'|center(10000000000) }}",
    "a method making a wide text": "{{ 'x'.ljust(10000000000) }}",
    "a format ten billion wide": "{{ '%10000000000s'|format(1) }}",
    "a megabyte and more of output": "{% for a in range(99999) %}{{ 'word ' * 20 }}{% endfor %}",
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_practices_template_cannot_hang_or_swamp_a_run(tmp_path, name):
    """Each is refused with one line as a template that cannot be used, in a few seconds at most."""
    import time

    from automations.errors import TemplateError
    from automations.messages.render import Templates

    (tmp_path / "va_work_queue.txt.j2").write_text('{% set phi = "none" %}{% set subject = "Queue" %}' + HOSTILE[name])
    (tmp_path / "va_work_queue.html.j2").write_text("<p>queue</p>")
    started = time.monotonic()
    with pytest.raises(TemplateError, match="va_work_queue"):
        Templates(tmp_path).render("va_work_queue", **CONTEXT)
    assert time.monotonic() - started < 10


def test_a_template_may_still_loop_over_its_records_and_use_filters(tmp_path):
    from automations.messages.render import Templates

    (tmp_path / "va_work_queue.txt.j2").write_text(
        '{% set phi = "none" %}{% set subject = "Queue" %}{% for a in range(3) %}{% for b in range(3) %}'
        '{{ "%-4s"|format(a * b) }}{% endfor %}{% endfor %}{{ "ok"|center(6) }}{{ 250000|string }}')
    (tmp_path / "va_work_queue.html.j2").write_text("<p>queue</p>")
    text = Templates(tmp_path).render("va_work_queue", **CONTEXT).text
    assert text.startswith("0   0   0   0   1   2") and "250000" in text
