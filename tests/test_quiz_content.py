"""The quiz engine against every real pool in courses/: draws, perfect posts, GIFT round trips."""
from collections import Counter
from pathlib import Path

import pytest
import yaml

from elearn import questions as types
from elearn.quizzes.draw import draw_paper, render_paper
from elearn.questions.gift import export_gift, import_gift, merge_language
from elearn.quizzes.marking import mark_paper, read_post

POOLS = sorted((Path(__file__).parent.parent / "courses" / "modules").glob("*/quiz.yaml"))


def load(path):
    """A quiz.yaml as the catalog stores it: the parsed dict."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.skipif(not POOLS, reason="no course content yet")
@pytest.mark.parametrize("path", POOLS, ids=lambda p: p.parent.name)
def test_real_pool_draws_marks_and_round_trips(path):
    pool = load(path)
    for seed in range(5):
        paper = draw_paper(pool, rng=seed)
        drawn = Counter(p.item["objective"] for p in render_paper(pool, paper))
        sizes = Counter(i["objective"] for i in pool["items"])
        # round-robin: an objective trails another by more than one only when it has run out
        assert all(drawn[a] >= drawn[b] - 1 or drawn[a] == sizes[a] for a in sizes for b in sizes)
        form = {}
        for shown in render_paper(pool, paper):
            form.update(types.to_form(shown.item, types.perfect_response(shown.item), shown.order))
        post = read_post(pool, paper, form)
        assert post.errors == {} and mark_paper(pool, paper, post.responses).percent == 100.0
    dutch = import_gift(export_gift(pool, "nl"), "nl")
    english = import_gift(export_gift(pool, "en"), "en")
    assert merge_language(dutch, english, "en") == pool["items"]

