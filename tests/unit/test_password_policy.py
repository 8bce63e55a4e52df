"""The default password policy: each rule refuses what it should and nothing more."""

from __future__ import annotations

import pytest

from jimucrm.core.settings import ConfigurationError
from jimucrm.security.interfaces import IPasswordPolicy
from jimucrm.security.passwords import MAX_LENGTH, PasswordPolicy

POLICY = PasswordPolicy(min_length=10)
STRONG = "correct-horse-电池-staple"
ACCOUNT = {"username": "wangfang", "display_name": "王芳 Fang Wang",
           "email": "fang.wang@example.cn"}


def messages(password: str, **account: str) -> list[str]:
    return [str(problem.interpolate()) for problem in POLICY.problems(password, **account)]


def test_the_service_provides_its_interface():
    assert IPasswordPolicy.providedBy(POLICY)


@pytest.mark.parametrize("password", [STRONG, "xk3-pq9-zz7m", "Tr0ub4dor&3x-伏特加",
                                      "长城上的月亮照着九只猫"])
def test_strong_passwords_pass(password):
    assert POLICY.problems(password, **ACCOUNT) == []


def test_minimum_length_is_the_setting():
    assert messages("v9#Lq2!z") == ["Use at least 10 characters."]
    assert PasswordPolicy(min_length=12).problems("v9#Lq2!zTk4") != []
    assert PasswordPolicy(min_length=12).problems("v9#Lq2!zTk4&") == []
    # Characters, not bytes: ten Chinese characters are ten.
    assert PasswordPolicy(min_length=10).problems("月亮照着九只猫跳过河") == []


def test_maximum_length():
    assert messages("x" * (MAX_LENGTH + 1)) == [f"Use at most {MAX_LENGTH} characters."]
    long_but_fine = ("长城上的月亮照着九只猫-" * 30)[:MAX_LENGTH]
    assert POLICY.problems(long_but_fine) == []


@pytest.mark.parametrize("password", ["password123", "1234567890", "qwertyuiop", "Iloveyou12",
                                      "PASSWORD123"])
def test_common_passwords_are_refused(password):
    assert "This password is on a list of commonly used passwords." in messages(password)


@pytest.mark.parametrize("password", ["aaaaaaaaaaaa", "############", "猫猫猫猫猫猫猫猫猫猫",
                                      "AaAaAaAaAaAa"])
def test_one_character_repeated_is_refused(password):
    assert "The password must not be one character repeated." in messages(password)


@pytest.mark.parametrize("password", ["wangfang-x9!Lq", "X9!Lq-WANGFANG", "my fang.wang pw!",
                                      "王芳 fang wang", "Zz%8-王芳 Fang Wang"])
def test_the_accounts_own_names_are_refused(password):
    assert "The password must not contain your username, e-mail name or display name." in \
        messages(password, **ACCOUNT)
    # The same password for another account is not refused for that reason.
    assert "The password must not contain your username, e-mail name or display name." not in \
        messages(password, username="li", display_name="李四", email="li@example.cn")


def test_short_names_are_refused_only_when_equal():
    # A two-letter username would otherwise forbid every password holding those letters.
    assert POLICY.problems("xk3-pq9-zz7m-li", username="li") == []
    assert messages("li", username="li")[-1] == \
        "The password must not contain your username, e-mail name or display name."


@pytest.mark.parametrize(("password", "hint"), [
    ("abcdefghijkl", "Sequences like abc or 6543 are easy to guess."),
    ("asdfghjkl;'zx", "Rows or patterns of keys are easy to guess."),
    ("Iloveyou2024", "It is built from very common passwords."),
    ("kotkotkotkot", "Repeated words or characters are easy to guess."),
])
def test_guessable_passwords_are_refused_with_a_hint(password, hint):
    found = messages(password)
    assert "This password is too easy to guess." in found
    assert hint in found


def test_a_minimum_above_the_maximum_stops_start_up():
    from jimucrm.core import configure

    with pytest.raises(ConfigurationError, match="jimu.password_min_length"):
        configure({"jimu.database_url": "postgresql://postgres@127.0.0.1:5432/none",
                   "jimu.redis_url": "redis://127.0.0.1:6379/0", "jimu.secret_key": "k" * 40,
                   "jimu.password_min_length": "300"})
