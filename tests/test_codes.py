import re
from collections import Counter

import pytest

from bot.services.codes import CROCKFORD_ALPHABET, generate_code, normalize_code

CODE_PATTERN = re.compile(r"ASN-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


def test_generated_codes_have_the_documented_format() -> None:
    for _ in range(500):
        assert CODE_PATTERN.fullmatch(generate_code())


def test_alphabet_is_crockford_without_ambiguous_letters() -> None:
    assert len(CROCKFORD_ALPHABET) == 32
    assert not set("ILOU") & set(CROCKFORD_ALPHABET)


def test_codes_use_the_whole_alphabet_and_do_not_repeat() -> None:
    codes = [generate_code() for _ in range(5000)]
    assert len(set(codes)) == len(codes)
    characters = Counter("".join(code[4:].replace("-", "") for code in codes))
    assert set(characters) == set(CROCKFORD_ALPHABET)
    # 40 000 draws over 32 symbols: each near 1250; a biased generator falls far outside.
    assert min(characters.values()) > 1000 and max(characters.values()) < 1500


def test_prefix_is_configurable() -> None:
    assert generate_code("BWS").startswith("BWS-")


@pytest.mark.parametrize(
    "typed",
    ["ASN-7K2M-9QXD", "asn-7k2m-9qxd", " asn 7k2m 9qxd ", "7K2M9QXD", "7k2m-9qxd", "ASN7K2M9QXD"],
)
def test_lookups_ignore_case_spaces_and_dashes(typed: str) -> None:
    assert normalize_code(typed) == "ASN-7K2M-9QXD"


def test_lookalike_letters_are_read_as_digits() -> None:
    assert normalize_code("ASN-OI2L-9QXD") == "ASN-0121-9QXD"


@pytest.mark.parametrize("typed", ["", "ASN-7K2M", "ASN-7K2M-9QXU", "hello world", "x" * 10_000])
def test_malformed_codes_are_refused(typed: str) -> None:
    assert normalize_code(typed) is None
