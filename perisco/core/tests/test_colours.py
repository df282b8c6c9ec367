import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from perisco.core.colours import contrast_with_white, darker, validate_brand_colour


def test_contrast_with_white_follows_wcag():
    assert contrast_with_white("#ffffff") == pytest.approx(1.0)
    assert contrast_with_white("#000000") == pytest.approx(21.0)
    assert contrast_with_white("#767676") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("colour", ["#1f4e99", "#767676", "#A4141E", "#000000"])
def test_a_dark_enough_colour_is_accepted(colour):
    validate_brand_colour(colour)


@pytest.mark.parametrize("colour", ["#777777", "#ffbf47", "#ffffff", "#3b82f6"])
def test_a_colour_white_text_cannot_be_read_on_is_refused(colour):
    with translation.override("en"), pytest.raises(ValidationError, match="hard to read") as raised:
        validate_brand_colour(colour)
    assert raised.value.code == "contrast"


@pytest.mark.parametrize("colour", ["1f4e99", "#1f4e9", "#1f4e99;", "red", "#1f4e99}body{"])
def test_only_six_hexadecimal_digits_are_a_colour(colour):
    with translation.override("en"), pytest.raises(ValidationError, match="six hexadecimal"):
        validate_brand_colour(colour)


def test_the_dark_shade_is_darker():
    assert darker("#1f4e99") == "#173a73"
    assert contrast_with_white(darker("#767676")) > contrast_with_white("#767676")
