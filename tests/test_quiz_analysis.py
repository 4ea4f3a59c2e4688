"""Item analysis against data sets worked out by hand (the arithmetic is in the comments).

Conventions (as Moodle): V and Cov divide by n−1; discrimination index =
100·Cov(x, X−x)/√(V(x)·V(X−x)); α = p/(p−1)·(1 − ΣV(x_j)/V(X)).
"""
import math

import pytest

from elearn.quizzes.analysis import analyse, to_csv

# Five learners, five items, right/wrong marks. X = total of the row.
#        a  b  c  d  e    X
# L1     1  1  1  1  0    4
# L2     1  1  0  1  1    4
# L3     1  0  0  1  1    3
# L4     1  0  0  1  0    2
# L5     0  0  0  1  0    1
ROWS = [dict(a=1, b=1, c=1, d=1, e=0), dict(a=1, b=1, c=0, d=1, e=1), dict(a=1, b=0, c=0, d=1, e=1),
        dict(a=1, b=0, c=0, d=1, e=0), dict(a=0, b=0, c=0, d=1, e=0)]


@pytest.fixture(scope="module")
def stats():
    """The analysis of ROWS, by item id."""
    result = analyse(ROWS)
    return result, {s.item_id: s for s in result.items}


def test_facility_is_the_mean_mark(stats):
    # a 4/5 = .8   b 2/5 = .4   c 1/5 = .2   d 5/5 = 1   e 2/5 = .4
    _, by_id = stats
    assert {k: s.facility for k, s in by_id.items()} == pytest.approx(dict(a=.8, b=.4, c=.2, d=1.0, e=.4))
    # sd of a: deviations .2 .2 .2 .2 −.8 → squares sum .16 + .64 = .8 → V = .8/4 = .2 → sd = √.2
    assert by_id["a"].sd == pytest.approx(math.sqrt(.2))


def test_discrimination_is_item_against_rest_of_test(stats):
    _, by_id = stats
    # a: x = 1 1 1 1 0 (mean .8), rest X−a = 3 3 2 1 1 (mean 2)
    #    dev x .2 .2 .2 .2 −.8; dev rest 1 1 0 −1 −1; Σ products .2+.2+0−.2+.8 = 1 → Cov = 1/4
    #    V(x) = .2; V(rest) = (1+1+0+1+1)/4 = 1 → 100·.25/√.2 = 55.90
    assert by_id["a"].discrimination_index == pytest.approx(100 * .25 / math.sqrt(.2))
    # b: x = 1 1 0 0 0 (mean .4), rest = 3 3 3 2 1 (mean 2.4)
    #    dev x .6 .6 −.4 −.4 −.4; dev rest .6 .6 .6 −.4 −1.4; Σ .36+.36−.24+.16+.56 = 1.2 → Cov .3
    #    V(x) = (.36·2 + .16·3)/4 = .3; V(rest) = (.36·3 + .16 + 1.96)/4 = .8 → 30/√.24 = 61.24
    assert by_id["b"].discrimination_index == pytest.approx(30 / math.sqrt(.24))
    # c: x = 1 0 0 0 0 (mean .2), rest = 3 4 3 2 1 (mean 2.6)
    #    dev x .8 −.2 −.2 −.2 −.2; dev rest .4 1.4 .4 −.6 −1.6; Σ .32−.28−.08+.12+.32 = .4 → Cov .1
    #    V(x) = (.64 + .04·4)/4 = .2; V(rest) = (.16+1.96+.16+.36+2.56)/4 = 1.3 → 10/√.26 = 19.61
    assert by_id["c"].discrimination_index == pytest.approx(10 / math.sqrt(.26))
    # e: x = 0 1 1 0 0 (mean .4), rest = 4 3 2 2 1 (mean 2.4)
    #    dev x −.4 .6 .6 −.4 −.4; dev rest 1.6 .6 −.4 −.4 −1.4; Σ −.64+.36−.24+.16+.56 = .2 → Cov .05
    #    V(x) = .3; V(rest) = (2.56+.36+.16+.16+1.96)/4 = 1.3 → 5/√.39 = 8.006
    assert by_id["e"].discrimination_index == pytest.approx(5 / math.sqrt(.39))
    assert by_id["e"].discrimination == pytest.approx(.05 / math.sqrt(.39))   # as a correlation


def test_zero_variance_item_reports_none_not_a_crash(stats):
    _, by_id = stats
    # d: everyone right → V(x) = 0 → discrimination undefined
    assert by_id["d"].discrimination_index is None and by_id["d"].sd == 0


def test_flags_with_the_thresholds_explicit(stats):
    _, by_id = stats
    # a facility .8 is not > .8; c .2 < .3 too hard; d 1.0 too easy (and no index, so no
    # discrimination flag); e index 8.0 < 10 (= correlation .08 < .1) not discriminating
    assert {k: s.flags for k, s in by_id.items()} == {
        "a": (), "b": (), "c": ("too_hard",), "d": ("too_easy",), "e": ("not_discriminating",)}


def test_alpha_is_kr20_for_right_wrong_items(stats):
    result, _ = stats
    # ΣV(x_j) = .2 + .3 + .2 + 0 + .3 = 1.0
    # X = 4 4 3 2 1, mean 2.8, dev 1.2 1.2 .2 −.8 −1.8, squares 1.44+1.44+.04+.64+3.24 = 6.8 → V(X) = 1.7
    # α = 5/4 · (1 − 1/1.7) = 1.25 · .7/1.7 = 0.5147
    assert result.alpha == pytest.approx(1.25 * (0.7 / 1.7))
    assert (result.alpha_method, result.alpha_basis, result.attempts) == ("KR-20", "items", 5)


def test_alpha_with_partial_credit_is_cronbach():
    rows = [dict(a=1, b=.5), dict(a=.5, b=.5), dict(a=0, b=0)]
    result = analyse(rows)
    # V(a): mean .5, dev .5 0 −.5 → .5/2 = 1/4.  V(b): mean 1/3, dev 1/6 1/6 −1/3 → (6/36)/2 = 1/12
    # X = 1.5 1 0, mean 5/6, dev 2/3 1/6 −5/6 → (16+1+25)/36/2 = 7/12
    # α = 2 · (1 − (1/4 + 1/12)/(7/12)) = 2 · (1 − 4/7) = 6/7
    assert result.alpha == pytest.approx(6 / 7) and result.alpha_method == "Cronbach's alpha"
    # a vs rest (= b): Σ dev products .5·1/6 + 0 + (−.5)(−1/3) = 1/4 → Cov 1/8
    # index = 100 · (1/8) / √(1/4 · 1/12) = 100 · √3/2 = 86.60
    assert analyse(rows).items[0].discrimination_index == pytest.approx(50 * math.sqrt(3))


def test_random_draws_use_slots_for_alpha():
    # Papers of two items drawn from a, b, c (paper order = slot order):
    #        slot1  slot2   X
    # L1     a=1    b=1     2
    # L2     a=0    c=1     1
    # L3     b=0    c=0     0
    rows = [dict(a=1, b=1), dict(a=0, c=1), dict(b=0, c=0)]
    result = analyse(rows)
    # slot1 1 0 0: V = (4/9+1/9+1/9)/2 = 1/3; slot2 1 1 0: V = 1/3; X 2 1 0: V = (1+0+1)/2 = 1
    # α = 2 · (1 − 2/3) = 2/3
    assert result.alpha == pytest.approx(2 / 3) and result.alpha_basis == "slots"
    by_id = {s.item_id: s for s in result.items}
    # b on L1, L3: x 1 0, rest 1 0 → Cov .5, V .5 and .5 → 100
    assert by_id["b"].discrimination_index == pytest.approx(100)
    # a on L1, L2: x 1 0, rest 1 1 → V(rest) = 0 → None
    assert by_id["a"].discrimination_index is None and by_id["a"].attempts == 2


def test_whole_test_without_variance_and_too_little_data():
    same = analyse([dict(a=1, b=1), dict(a=1, b=1)])
    assert same.alpha is None and all(s.discrimination_index is None for s in same.items)
    one = analyse([dict(a=1, b=0)])
    assert one.alpha is None and one.items[0].sd is None and one.items[0].facility == 1.0
    mixed_lengths = analyse([dict(a=1, b=0), dict(a=0)])
    assert mixed_lengths.alpha is None
    empty = analyse([], item_ids=["a"])
    assert empty.items[0].attempts == 0 and empty.items[0].facility is None and empty.alpha is None


def test_csv_export(stats):
    result, _ = stats
    lines = to_csv(result).splitlines()
    assert lines[0] == "item,attempts,facility_percent,sd_percent,discrimination_index,flags,note"
    assert lines[1] == "a,5,80.00,44.72,55.90,,"
    assert lines[4] == "d,5,100.00,0.00,,too_easy,"
    assert to_csv(result, decimal_comma=True).splitlines()[5] == "e;5;40,00;54,77;8,01;not_discriminating;"


def test_csv_neutralises_formulas_and_keeps_negative_numbers_numeric():
    # An item id (from an imported pool) that a spreadsheet would run, and an item that discriminates
    # the wrong way: its negative index must stay a number.
    result = analyse([{"=cmd|' /C calc'!A0": 1, "b": 0}, {"=cmd|' /C calc'!A0": 0, "b": 1},
                      {"=cmd|' /C calc'!A0": 1, "b": 0}, {"=cmd|' /C calc'!A0": 0, "b": 1}])
    lines = to_csv(result, decimal_comma=True).splitlines()
    assert lines[1].startswith("'=cmd|' /C calc'!A0;4;50,00;")
    assert lines[2].split(";")[4] == "-100,00"


def test_below_the_minimum_figures_and_flags_are_withheld_and_the_csv_says_why():
    # One learner got item b wrong: on its own that would flag b "too hard" (facility 0).
    one = analyse([dict(a=1, b=0)], min_attempts=10)
    assert all(s.withheld and s.facility is None and s.discrimination_index is None and not s.flags
               for s in one.items)
    assert one.items[0].attempts == 1 and one.alpha is None and one.alpha_withheld
    assert to_csv(one).splitlines()[2] == "b,1,,,,,n/a: fewer than 10 first attempts"
    # Five attempts reach a minimum of five: the figures of ROWS come back, flags included.
    enough = {s.item_id: s for s in analyse(ROWS, min_attempts=5).items}
    assert not enough["d"].withheld and enough["d"].flags == ("too_easy",) and enough["a"].facility == 0.8
    assert analyse(ROWS, min_attempts=6).items[3].flags == ()
