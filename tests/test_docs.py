from automations import docs


def test_the_committed_reference_docs_match_the_code():
    for name, text in docs.generated().items():
        assert (docs.DOCS / name).read_text(encoding="utf-8") == text, (
            f"docs/{name} is stale: run `python -m automations.docs` and commit")


def test_every_registered_rule_is_in_the_reference():
    from automations.rules import RULES

    text = docs.generated()["rules.md"]
    assert all(f"`{rule_id}`" in text for rule_id in RULES)
