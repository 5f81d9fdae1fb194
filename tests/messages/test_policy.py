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
