"""shared.forms.conditions at its edges: nulls in comparisons, ages on the birthday, the helper functions,
the length limit, and the refusals a spec author reads when a condition is outside the grammar."""

from datetime import date, datetime

import pytest

from shared.forms.conditions import (
    MAX_EXPRESSION_LENGTH,
    ConditionError,
    age_in_years,
    evaluate_condition,
    names_in,
    parse_condition,
)

TODAY = date(2026, 6, 1)


def holds(text: str, **values: object) -> bool:
    return evaluate_condition(text, values, today=TODAY)


@pytest.mark.parametrize(
    ("born", "years"),
    [
        ("2008-06-01", 18),  # the 18th birthday is today
        ("2008-06-02", 17),  # tomorrow
        ("2008-05-31", 18),
        ("2008-07-01", 17),  # a later month, an earlier day
        ("2007-12-31", 18),
        (date(2000, 6, 1), 26),
        (datetime(2000, 6, 1, 12, 30), 26),  # a datetime is a date: its day counts
        ("not a date", None),
        (None, None),
    ],
)
def test_age_counts_full_years_and_turns_on_the_birthday(born, years):
    assert age_in_years(born, TODAY) == years


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("n < 3", {}, False),  # an unset field is never smaller, larger or equal-ish
        ("n <= 3", {}, False),
        ("n > 3", {}, False),
        ("n >= 3", {}, False),
        ("3 < n", {}, False),
        ("3 <= n", {}, False),
        ("3 > n", {}, False),
        ("3 >= n", {}, False),
        ("n < 3", {"n": 2}, True),
        ("n < 3", {"n": 3}, False),
        ("n <= 3", {"n": 3}, True),
        ("n <= 3", {"n": 4}, False),
        ("n > 3", {"n": 4}, True),
        ("n > 3", {"n": 3}, False),
        ("n >= 3", {"n": 3}, True),
        ("n >= 3", {"n": 2}, False),
        ("n == 3", {"n": 3}, True),
        ("n != 3", {"n": 3}, False),
        ("n != 3", {"n": 4}, True),
        ("'a' in codes", {}, False),  # in an unset list: no
        ("'a' not in codes", {}, True),  # not in an unset list: yes
        ("'a' in codes", {"codes": ["a", "b"]}, True),
        ("'c' in codes", {"codes": ["a", "b"]}, False),
        ("'a' not in codes", {"codes": ["a"]}, False),
        ("n in [1, 2]", {"n": 2}, True),
        ("n in (1, 2)", {"n": 3}, False),
        ("n < 'x'", {"n": 1}, False),  # a comparison Python refuses reads as false, not a crash
        ("1 < n < 3", {"n": 4}, False),  # a chain stops at its first false link
        ("1 < n < 3", {"n": 0}, False),
        ("1 < n < 3", {"n": 2}, True),
        ("n > -1", {"n": 0}, True),
        ("n < -1", {"n": 0}, False),
        ("-n == -2", {"n": 2}, True),
        ("-n == null", {"n": "2"}, True),  # minus of a non-number is null
        ("not n", {"n": 0}, True),
        ("not n", {"n": 1}, False),
        ("a and b", {"a": True, "b": False}, False),
        ("a and b", {"a": True, "b": True}, True),
        ("a or b", {"a": False, "b": False}, False),
        ("a or b", {"a": False, "b": True}, True),
        ("flag == true", {"flag": True}, True),
        ("flag == True", {"flag": True}, True),
        ("flag == false", {"flag": False}, True),
        ("flag == False", {"flag": True}, False),
        ("flag == null", {"flag": None}, True),
        ("flag == None", {"flag": 0}, False),
        ("true", {}, True),
        ("false", {}, False),
    ],
)
def test_comparisons_treat_null_and_mismatched_types_as_false(text, values, expected):
    assert evaluate_condition(text, values, today=TODAY) is expected


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("empty(x)", {}, True),
        ("empty(x)", {"x": ""}, True),
        ("empty(x)", {"x": []}, True),
        ("empty(x)", {"x": {}}, True),
        ("empty(x)", {"x": [0]}, False),
        ("empty(x)", {"x": {"k": 1}}, False),
        ("empty(x)", {"x": " "}, False),
        ("empty(x)", {"x": 0}, False),  # zero is a value, not an empty field
        ("empty(x)", {"x": False}, False),
        ("len(x) == 0", {}, True),
        ("len(x) == 3", {"x": "abc"}, True),
        ("len(x) == 2", {"x": ["a", "b"]}, True),
        ("len(x) == 4", {"x": 1234}, True),  # a number counts its digits
        ("lower(x) == 'abc'", {"x": "AbC"}, True),
        ("lower(x) == null", {}, True),
        ("lower(x) == '12'", {"x": 12}, True),
        ("age(dob) == null", {"dob": ""}, True),
        ("age(dob) == null", {}, True),
        ("age(dob) == 18", {"dob": "2008-06-01"}, True),
        ("age(dob) < 18", {"dob": "2008-06-02"}, True),
    ],
)
def test_the_four_functions(text, values, expected):
    assert evaluate_condition(text, values, today=TODAY) is expected


def test_age_is_counted_from_today_when_no_day_is_given():
    assert evaluate_condition("age(dob) == 0", {"dob": date.today().isoformat()})
    assert not evaluate_condition("age(dob) == 0", {"dob": TODAY.replace(year=TODAY.year - 1).isoformat()})


def test_names_in_lists_fields_not_constants_or_functions():
    assert names_in("age(dob) >= 18 and (gender == null or lower(kind) in ['a', x]) and flag != true") == {
        "dob",
        "gender",
        "kind",
        "x",
        "flag",
    }
    assert names_in("empty(a) or len(b) > 1 or True or None or false") == {"a", "b"}


def test_length_limit_is_inclusive():
    longest = "a == " + "1" * (MAX_EXPRESSION_LENGTH - 5)
    assert len(longest) == MAX_EXPRESSION_LENGTH
    parse_condition(longest)
    with pytest.raises(ConditionError) as caught:
        parse_condition(longest + "1")
    assert str(caught.value) == f"a condition may be at most {MAX_EXPRESSION_LENGTH} characters"


def test_surrounding_spaces_are_allowed():
    assert holds("  n == 1  ", n=1)


NOT_ALLOWED = "name '_n' is not allowed"
CONSTANTS = "only string, number, boolean and null constants are allowed"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "a condition must be a non-empty string"),
        ("   ", "a condition must be a non-empty string"),
        (None, "a condition must be a non-empty string"),
        ("n ==", "condition 'n ==' is not valid: *"),
        ("n is None", "unsupported comparison operator"),
        ("n is not None", "unsupported comparison operator"),
        ("__class__", "name '__class__' is not allowed"),
        ("n == b'x'", CONSTANTS),
        ("n == ...", CONSTANTS),
        ("upper(n)", "only the functions ['age', 'empty', 'len', 'lower'] may be called"),
        ("n.lower()", "only the functions ['age', 'empty', 'len', 'lower'] may be called"),
        ("age()", "age() takes exactly one argument"),
        ("len(n, m)", "len() takes exactly one argument"),
        ("lower(x=n)", "lower() takes exactly one argument"),
        ("age(_n)", NOT_ALLOWED),
        ("[1, _n]", NOT_ALLOWED),
        ("(1, _n)", NOT_ALLOWED),
        ("n == 1 and _n", NOT_ALLOWED),
        ("not _n", NOT_ALLOWED),
        ("-_n", NOT_ALLOWED),
        ("_n == 1", NOT_ALLOWED),
        ("1 == _n", NOT_ALLOWED),
        ("+n", "UnaryOp is not allowed in a condition"),
        ("~n", "UnaryOp is not allowed in a condition"),
        ("n + 1", "BinOp is not allowed in a condition"),
        ("{'a': 1}", "Dict is not allowed in a condition"),
    ],
)
def test_refusals_say_what_is_wrong(text, message):
    """The whole message, as the spec author reads it (``*``: the parser's own words follow)."""
    with pytest.raises(ConditionError) as caught:
        parse_condition(text)
    said = str(caught.value)
    assert said.startswith(message[:-1]) if message.endswith("*") else said == message


def test_evaluation_refuses_what_parsing_refuses():
    with pytest.raises(ConditionError):
        evaluate_condition("n + 1 > 2", {"n": 1}, today=TODAY)
