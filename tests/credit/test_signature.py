"""The signature algorithm interoperates with existing credit providers; secrets rotate."""

import hashlib
import hmac

import pytest

from credit import api
from credit.exceptions import CreditProviderNotConfigured
from credit.signature import get_shared_secret_key, signature, signature_is_valid, signing_key


def test_empty_parameters_match_the_reference_vector():
    assert signature({}, "abcd1234") == "7d70a26b834d9881cc14466eceac8d39188fc5ef5ffad9ab281a8327c2c0d093"


def test_non_ascii_value_matches_the_reference_vector():
    expected = "76b6c9a657000829253d7c23977b35b34ad750c5681b524d7fdfb25cd5273cec"
    assert signature({"name": "Ed Xavíer"}, "abcd1234") == expected


def test_several_parameters_match_an_independently_computed_vector():
    # The LMS's rule (edx-platform openedx/core/djangoapps/credit/signature.py): "key:value" for each
    # parameter but the signature, in ascending key order, concatenated with no separator, then the hex
    # HMAC-SHA256 under the shared secret. Computed here by hand, not through the service's signature().
    params = {"b": "2", "a": "1", "c": "x y"}
    canonical = b"a:1b:2c:x y"
    expected = hmac.new(b"abcd1234", canonical, hashlib.sha256).hexdigest()
    assert expected == "b471fae418e20d236d461246492849dd25472cb857281dad6e58f916f698a23d"
    assert signature(params, "abcd1234") == expected
    assert signature({**params, "signature": "ignored"}, "abcd1234") == expected


def test_the_signature_key_itself_is_not_signed():
    assert signature({"a": 1, "signature": "anything"}, "abcd1234") == signature({"a": 1}, "abcd1234")


def test_parameters_are_signed_in_key_order_with_str_values():
    assert signature({"b": 2, "a": 1}, "k") == signature({"a": "1", "b": "2"}, "k")


def test_first_usable_key_signs_and_any_key_verifies(settings):
    settings.CREDIT_PROVIDER_SECRET_KEYS = {"hogwarts": ["new-secret", "old-secret"]}
    assert signing_key("hogwarts") == "new-secret"
    signed_with_old = {"a": "1", "signature": signature({"a": "1"}, "old-secret")}
    signed_with_new = {"a": "1", "signature": signature({"a": "1"}, "new-secret")}
    signed_with_other = {"a": "1", "signature": signature({"a": "1"}, "retired")}
    assert signature_is_valid(signed_with_old, "hogwarts")
    assert signature_is_valid(signed_with_new, "hogwarts")
    assert not signature_is_valid(signed_with_other, "hogwarts")


def test_a_single_string_secret_is_supported(settings):
    settings.CREDIT_PROVIDER_SECRET_KEYS = {"hogwarts": "abcd1234"}
    assert signing_key("hogwarts") == "abcd1234"
    assert signature_is_valid(
        {"signature": "7d70a26b834d9881cc14466eceac8d39188fc5ef5ffad9ab281a8327c2c0d093"}, "hogwarts"
    )


def test_non_ascii_secret_is_not_configured(settings):
    settings.CREDIT_PROVIDER_SECRET_KEYS = {"hogwarts": "sécret", "rotating": ["sécret", "plain"]}
    assert get_shared_secret_key("hogwarts") is None
    with pytest.raises(CreditProviderNotConfigured):
        api.check_keys_exist(get_shared_secret_key("hogwarts"), "hogwarts")
    # In a list, the unusable key is skipped: the next one signs.
    assert get_shared_secret_key("rotating") == [None, "plain"]
    assert signing_key("rotating") == "plain"


@pytest.mark.parametrize("configured", [None, [], [None], ""])
def test_check_keys_exist_refuses_missing_keys(configured):
    with pytest.raises(CreditProviderNotConfigured):
        api.check_keys_exist(configured, "hogwarts")


@pytest.mark.parametrize("configured", ["abcd1234", ["abcd1234"], [None, "abcd1234"]])
def test_check_keys_exist_accepts_a_usable_key(configured):
    api.check_keys_exist(configured, "hogwarts")


def test_missing_or_non_string_signature_is_invalid(settings):
    settings.CREDIT_PROVIDER_SECRET_KEYS = {"hogwarts": "abcd1234"}
    assert not signature_is_valid({}, "hogwarts")
    assert not signature_is_valid({"signature": 12}, "hogwarts")


def test_hmac_compare_digest_decides_once_per_configured_secret(settings, monkeypatch):
    settings.CREDIT_PROVIDER_SECRET_KEYS = {"hogwarts": ["newest", "abcd1234", "oldest"]}
    params = {"a": "1", "signature": signature({"a": "1"}, "abcd1234")}
    calls: list[tuple[bytes, bytes]] = []
    compare_digest = hmac.compare_digest

    def recording_compare_digest(expected: bytes, given: bytes) -> bool:
        calls.append((expected, given))
        return compare_digest(expected, given)

    monkeypatch.setattr("credit.signature.hmac.compare_digest", recording_compare_digest)
    assert signature_is_valid(params, "hogwarts") is True
    # Every configured secret is compared, not only until the match, so the time taken does not
    # tell which one matched (docs/decisions/0006-credit.rst).
    assert calls == [
        (signature({"a": "1"}, secret).encode(), params["signature"].encode())
        for secret in ("newest", "abcd1234", "oldest")
    ]


def test_the_comparison_is_compare_digest_and_nothing_else(settings, monkeypatch):
    settings.CREDIT_PROVIDER_SECRET_KEYS = {"hogwarts": "abcd1234"}
    params = {"a": "1", "signature": signature({"a": "1"}, "abcd1234")}
    monkeypatch.setattr("credit.signature.hmac.compare_digest", lambda expected, given: False)
    # A correct signature is refused when compare_digest says no: no other comparison decides.
    assert signature_is_valid(params, "hogwarts") is False
