import pytest

from demo_pkg import MAX_SLUG_LENGTH, slugify, title_from_slug


def test_slugify_lowercases_and_joins_words_with_hyphens() -> None:
    assert slugify("Hello, World!") == "hello-world"


def test_slugify_strips_accents() -> None:
    assert slugify("Crème brûlée") == "creme-brulee"


def test_slugify_refuses_text_without_letters_or_digits() -> None:
    with pytest.raises(ValueError, match="nothing to slugify"):
        slugify("!!!")


def test_slugify_refuses_slugs_that_are_too_long() -> None:
    with pytest.raises(ValueError, match="longer than"):
        slugify("a" * (MAX_SLUG_LENGTH + 1))


def test_title_from_slug_capitalises_words() -> None:
    assert title_from_slug("hello-world") == "Hello World"


def test_title_from_slug_ignores_empty_segments() -> None:
    assert title_from_slug("--hello--world-") == "Hello World"


def test_title_from_slug_refuses_slugs_that_are_too_long() -> None:
    with pytest.raises(ValueError):
        title_from_slug("a" * (MAX_SLUG_LENGTH + 1))


def test_round_trip_keeps_the_words() -> None:
    assert title_from_slug(slugify("slug service demo")) == "Slug Service Demo"
