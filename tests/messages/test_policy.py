import pytest

from automations.messages.policy import choose_security


@pytest.mark.parametrize("phi, cert, gateway, consent, to_client, expected", [
    ("none", False, False, None, False, "plain"),
    ("none", False, False, "none", True, "blocked"),      # a client who refused email gets nothing
    ("limited", False, False, "plain_ok", True, "plain"),
    ("limited", False, False, "encrypted", True, "blocked"),
    ("limited", True, False, "encrypted", True, "smime"),
    ("limited", False, True, "encrypted", True, "gateway"),
    ("full", False, False, None, False, "blocked"),
    ("full", True, False, None, False, "smime"),
    ("full", False, True, None, False, "gateway"),
    ("full", False, False, "plain_ok", True, "blocked"),   # plain consent covers limited PHI only
])
def test_the_privacy_policy(phi, cert, gateway, consent, to_client, expected):
    assert choose_security(phi, has_certificate=cert, gateway=gateway, consent=consent,
                           to_client=to_client) == expected


def test_an_undeclared_phi_level_is_refused():
    with pytest.raises(ValueError):
        choose_security("some", has_certificate=True, gateway=True)


@pytest.mark.parametrize("consent, gateway, says", [
    ("none", False, "declined email"), (None, False, "consent is blank"),
    ("encrypted", False, "no encryption gateway"), ("encrypted", True, "no S/MIME certificate")])
def test_why_a_client_message_is_blocked(consent, gateway, says):
    from automations.messages.policy import why_blocked

    assert says in why_blocked("limited", gateway=gateway, consent=consent, to_client=True)
