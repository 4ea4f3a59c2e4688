"""Property-based: whatever a client posts to the quiz endpoints, the answer is never a 5xx and a
refused post records nothing."""
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from elearn.extensions import db
from elearn.grades.models import GradeDelivery
from elearn.quizzes.models import Attempt
from launch_support import browser, tool  # noqa: F401 (fixtures)
from launch_support import module_platform  # noqa: F401
from quiz_support import begin, form_token, latest_attempt, launch_learner, loaded  # noqa: F401

pytestmark = pytest.mark.slow

names = st.one_of(st.sampled_from(["q.single-1", "q.single-2", "q.multiple-1", "q.ordering-1.1", "q.matching-1.a",
                                   "q.numeric-1", "token", "lt", "q.", "q..", "q.x.y.z"]),
                  st.text(string.printable, max_size=30))
values = st.one_of(st.sampled_from(["a", "b", "true", "1", "99", "", "12,5", "-0", "1e9"]),
                   st.text(max_size=80))
forms = st.dictionaries(names, st.lists(values, min_size=1, max_size=4), max_size=25)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=forms, keep_token=st.booleans(), submit=st.booleans())
def test_random_posts_never_crash_and_record_nothing(loaded, tool, platform, browser, form, keep_token, submit):
    if not hasattr(test_random_posts_never_crash_and_record_nothing, "state"):
        _, lt = launch_learner(platform, browser, resource_link_id="rl-fuzz")
        page = begin(browser, tool, lt)
        test_random_posts_never_crash_and_record_nothing.state = (lt, latest_attempt(loaded).id, form_token(page.text))
    lt, attempt_id, token = test_random_posts_never_crash_and_record_nothing.state
    data = [(k, v) for k, vs in form.items() for v in vs if k not in ("lt", "token")]
    data += [("lt", lt), ("token", token if keep_token else "not-the-token")]
    with loaded.app_context():
        before = db.session.get(Attempt, attempt_id).responses
        deliveries = db.session.scalar(select(db.func.count()).select_from(GradeDelivery))
    resp = browser.post(f"{tool.url}/post-test/{attempt_id}{'/submit' if submit else ''}", data=data,
                        allow_redirects=False)
    assert resp.status_code < 500, resp.text[:300]
    with loaded.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        if resp.status_code >= 400:
            assert attempt.responses == before and attempt.finished_at is None
            assert db.session.scalar(select(db.func.count()).select_from(GradeDelivery)) == deliveries
        if resp.status_code == 302 and submit:   # a genuine submit: start a fresh attempt for the next example
            del test_random_posts_never_crash_and_record_nothing.state
        elif resp.status_code == 302:
            test_random_posts_never_crash_and_record_nothing.state = (lt, attempt_id, attempt.submit_token)
