import pytest

from bot.services.report_fields import (
    FieldRejected,
    agency_key,
    bounded_text,
    clean_text,
    normalize_phone,
    parse_place,
    validate_nip,
)


def test_nip_accepts_18_digits_with_separators() -> None:
    assert validate_nip("19850312 201001 1 002") == "198503122010011002"


@pytest.mark.parametrize("typed", ["12345", "1985031220100110021", "19851312201001100x", "0" * 18])
def test_nip_refuses_wrong_shapes(typed: str) -> None:
    with pytest.raises(FieldRejected) as error:
        validate_nip(typed)
    assert error.value.reason == "bad_nip"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("0812 3456 7890", "+6281234567890"),
        ("+62 812-3456-7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
    ],
)
def test_phone_numbers_become_international(typed: str, expected: str) -> None:
    assert normalize_phone(typed) == expected


@pytest.mark.parametrize("typed", ["12", "nomor saya", "0812", "+62 8123 4567 8901 2345"])
def test_phone_refuses_non_numbers(typed: str) -> None:
    with pytest.raises(FieldRejected):
        normalize_phone(typed)


def test_invisible_and_control_characters_are_removed() -> None:
    assert clean_text("Bu\u200bdi\x00 \u202eSan  tos\n\n ok") == "Budi San tos\nok"


def test_text_limits_report_the_numbers() -> None:
    with pytest.raises(FieldRejected) as error:
        bounded_text("a" * 3001, maximum=3000, minimum=20)
    assert error.value.reason == "too_long" and error.value.details["length"] == 3001
    with pytest.raises(FieldRejected) as error:
        bounded_text("short", maximum=3000, minimum=20)
    assert error.value.reason == "too_short"
    with pytest.raises(FieldRejected) as error:
        bounded_text("   \u200b  ", maximum=10)
    assert error.value.reason == "empty"


def test_place_recognises_links() -> None:
    place = parse_place("Postingan https://instagram.com/p/abc123, dilihat kemarin")
    assert place.url == "https://instagram.com/p/abc123"
    assert place.text == "Postingan, dilihat kemarin"
    assert parse_place("www.facebook.com/budi").url == "https://www.facebook.com/budi"
    assert parse_place("Balai Desa Sukamaju").url is None


def test_agency_key_ignores_case_and_spacing() -> None:
    assert agency_key("  Dinas  PENDIDIKAN Kota Bandung") == "dinas pendidikan kota bandung"
