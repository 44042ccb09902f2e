"""The one list parser."""

import pytest

from aeutils.params import parse_list


def test_parse_list_types_and_passthrough():
    assert parse_list("4, 8,16") == (4, 8, 16)
    assert parse_list([1, "2"]) == (1, 2)
    assert parse_list("0.5,1", float) == (0.5, 1.0)
    assert parse_list(" a , b ", str) == ("a", "b")


def test_parse_list_errors_name_the_parameter():
    with pytest.raises(ValueError, match="filters"):
        parse_list("4,x", name="filters")
    with pytest.raises(ValueError, match="at least 2"):
        parse_list("4", name="filters", min_len=2)
    with pytest.raises(ValueError, match="unknown routes"):
        parse_list("rgb,hsv", str, name="routes", choices=("rgb", "uv"))
    with pytest.raises(ValueError, match="positive"):
        parse_list("4,0", positive=True)
    assert parse_list("", str, min_len=0) == ()
