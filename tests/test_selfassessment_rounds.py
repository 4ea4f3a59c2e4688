"""Team self-assessment over time, over real HTTP launches: an instructor opens and closes rounds, the
course's learners answer privately, the team result appears only for closed rounds with enough answers,
another course sees nothing, and a person's answers are in their data download and gone after erasure."""
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from checked_content import load_checked
from elearn.catalog.models import get_document
from elearn.extensions import db
from elearn.launch.models import User
from elearn.selfassessment import rounds as ops
from elearn.selfassessment.models import SelfAssessmentAnswer, SelfAssessmentRound
from launch_support import lt_of, make_browser, tool  # noqa: F401 (fixtures)
from launch_support import module_platform  # noqa: F401 (one platform per module)

VALID = Path(__file__).parent / "fixtures" / "courses_valid"


@pytest.fixture()
def loaded(app):
    """The valid fixture courses (and their self-assessment.yaml) loaded into the database."""
    with app.app_context():
        load_checked(VALID)
        definition = get_document("self-assessment")
    app.definition = definition
    return app


class Person:
    """One person's own browser, launched from the LMS into a course."""

    def __init__(self, tool, platform, role: str, sub: str, course: str = "course-1"):
        self.tool, self.browser = tool, make_browser()
        landing = platform.launch(self.browser, role=role, locale="en", context_id=course,
                                  resource_link_id=f"rl-{course}", custom={"module": "alpha-value"},
                                  user={"sub": sub, "name": sub.title()})
        assert landing.status_code == 200, landing.text[:500]
        self.token, self.sub = lt_of(landing.url), sub

    def get(self, path: str, **params):
        """GET a tool page as this person."""
        return self.browser.get(self.tool.url + path, params=dict(params, lt=self.token, lang="en"))

    def post(self, path: str, data: dict):
        """POST a form of a tool page as this person (the launch token as a hidden field, as the page does)."""
        return self.browser.post(self.tool.url + path, data=dict(data, lt=self.token), params={"lang": "en"})


def _answers(definition, value_for) -> dict[str, str]:
    """Form data answering every question with value_for(domain_id, question_index)."""
    return {f"q-{q['id']}": str(value_for(domain["id"], i))
            for domain in definition["domains"] for i, q in enumerate(domain["questions"])}


def _round_ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(SelfAssessmentRound.id).order_by(SelfAssessmentRound.id)))


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _open(teacher: Person, title: str, held_on: str):
    return teacher.post("/self-assessment/team/rounds", {"title": title, "held_on": held_on})


def _learners(tool, platform, n: int, course: str = "course-1") -> list[Person]:
    return [Person(tool, platform, "learner", f"learner-{course}-{i}", course) for i in range(n)]


def test_round_lifecycle_open_answer_close(loaded, tool, platform):
    teacher = Person(tool, platform, "instructor", "teacher")
    opened = _open(teacher, "Spring 2027", "2027-03-15")
    assert opened.status_code == 200 and "The round is open" in opened.text     # after the 303
    assert "Open: Spring 2027, March 15, 2027." in opened.text
    [round_id] = _round_ids(loaded)
    again = _open(teacher, "Another", "2027-03-16")                            # one open round at a time
    assert again.status_code == 409 and "A round is still open" in again.text
    assert _round_ids(loaded) == [round_id]

    learners = _learners(tool, platform, 3)
    page = learners[0].get("/self-assessment/team")
    assert "Open round: Spring 2027" in page.text and page.text.count('type="radio"') == 25 * 3
    for person in learners:
        saved = person.post(f"/self-assessment/team/rounds/{round_id}/answers", _answers(loaded.definition, lambda d, i: 1))
        assert saved.status_code == 200 and "Your answers are saved" in saved.text
    changed = learners[0].post(f"/self-assessment/team/rounds/{round_id}/answers",
                               _answers(loaded.definition, lambda d, i: 2))        # changed while open
    assert re.search(r'name="q-it-data-q1" value="2" checked', changed.text)
    assert _count(loaded, SelfAssessmentAnswer) == 3

    status = teacher.get("/self-assessment/team")
    assert "3 members have answered so far." in status.text
    assert 'id="radar"' not in status.text and "No team result to show yet" in status.text   # open: nothing yet
    closed = teacher.post(f"/self-assessment/team/rounds/{round_id}/close", {})
    assert closed.status_code == 200 and "The round is closed" in closed.text
    assert 'id="radar"' in closed.text and "js/selfassessment-radar.js" in closed.text

    page = learners[1].get("/self-assessment/team")
    assert "No round is open for your team" in page.text                  # no form any more
    late = learners[1].post(f"/self-assessment/team/rounds/{round_id}/answers", _answers(loaded.definition, lambda d, i: 0))
    assert late.status_code == 409 and "This round is closed" in late.text
    with loaded.app_context():
        mine = db.session.scalar(select(SelfAssessmentAnswer).join(User).where(User.sub == learners[1].sub))
        assert set(mine.answers.values()) == {1}                             # the late answer changed nothing
        frozen = db.session.get(SelfAssessmentRound, round_id).aggregate
    assert frozen["respondents"] == 3 and frozen["questions"]["it-data-q1"] == {"0": 0, "1": 2, "2": 1}
    twice = teacher.post(f"/self-assessment/team/rounds/{round_id}/close", {})
    assert twice.status_code == 409 and "already closed" in twice.text


def test_answers_to_a_closed_round_are_refused(loaded, tool, platform):
    teacher = Person(tool, platform, "instructor", "teacher")
    _open(teacher, "Spring 2027", "2027-03-15")
    [round_id] = _round_ids(loaded)
    learner = Person(tool, platform, "learner", "late-lou")
    teacher.post(f"/self-assessment/team/rounds/{round_id}/close", {})
    late = learner.post(f"/self-assessment/team/rounds/{round_id}/answers", _answers(loaded.definition, lambda d, i: 2))
    assert late.status_code == 409 and "This round is closed" in late.text
    assert _count(loaded, SelfAssessmentAnswer) == 0


def test_bad_round_form_says_what_is_wrong_and_keeps_the_title(loaded, tool, platform):
    teacher = Person(tool, platform, "instructor", "teacher")
    resp = _open(teacher, "", "2027-02-30")                                    # no title, a date that does not exist
    assert resp.status_code == 422
    assert "Give the round a title" in resp.text and "Give the date as a calendar date" in resp.text
    resp = _open(teacher, " \n ", "2027-02-28")                                  # white space is no title
    assert resp.status_code == 422 and "Give the round a title" in resp.text
    resp = _open(teacher, "x" * 201, "2027-02-28")
    assert resp.status_code == 422 and "longer than 200 characters" in resp.text
    resp = _open(teacher, "Autumn  review", "next week")
    assert resp.status_code == 422 and 'value="Autumn review"' in resp.text and 'value="next week"' in resp.text
    assert _round_ids(loaded) == []


def test_learners_cannot_open_or_close_rounds_and_instructors_do_not_answer(loaded, tool, platform):
    learner = Person(tool, platform, "learner", "lea")
    assert _open(learner, "Mine", "2027-01-01").status_code == 403
    teacher = Person(tool, platform, "instructor", "teacher")
    _open(teacher, "Spring 2027", "2027-03-15")
    [round_id] = _round_ids(loaded)
    assert learner.post(f"/self-assessment/team/rounds/{round_id}/close", {}).status_code == 403
    own = teacher.post(f"/self-assessment/team/rounds/{round_id}/answers", _answers(loaded.definition, lambda d, i: 2))
    assert own.status_code == 403 and "the learners of the course answer them" in own.text
    assert _count(loaded, SelfAssessmentAnswer) == 0
    with loaded.app_context():
        assert db.session.get(SelfAssessmentRound, round_id).closed_at is None


def test_forms_without_the_launch_token_are_refused(loaded, tool, platform):
    teacher = Person(tool, platform, "instructor", "teacher")
    # The token in the URL only (as a forged cross-site form could put it there) is not enough for a POST.
    forged = teacher.browser.post(f"{tool.url}/self-assessment/team/rounds", params={"lt": teacher.token},
                                  data={"title": "Forged", "held_on": "2027-01-01"})
    assert forged.status_code == 400 and _round_ids(loaded) == []


def test_team_result_needs_the_minimum_of_respondents(loaded, tool, platform):
    teacher = Person(tool, platform, "instructor", "teacher")
    _open(teacher, "Small round", "2027-01-10")
    [small] = _round_ids(loaded)
    two = _learners(tool, platform, 2)
    for person in two:
        person.post(f"/self-assessment/team/rounds/{small}/answers", _answers(loaded.definition, lambda d, i: 2))
    teacher.post(f"/self-assessment/team/rounds/{small}/close", {})
    page = teacher.get(f"/self-assessment/team/rounds/{small}")
    assert page.status_code == 200
    assert "Not shown: fewer than 3 members answered this round" in page.text
    assert "Answers per question" not in page.text and "100%" not in page.text
    team = teacher.get("/self-assessment/team")
    assert "Not shown: fewer than 3 answered" in team.text and 'id="radar"' not in team.text
    mine = two[0].get(f"/self-assessment/team/rounds/{small}")          # the learner sees their own, not the team's
    assert "Your answers" in mine.text and "Team score" not in mine.text

    _open(teacher, "Full round", "2027-02-10")
    full = _round_ids(loaded)[-1]
    for person in _learners(tool, platform, 3):
        person.post(f"/self-assessment/team/rounds/{full}/answers", _answers(loaded.definition, lambda d, i: 2))
    teacher.post(f"/self-assessment/team/rounds/{full}/close", {})
    page = teacher.get(f"/self-assessment/team/rounds/{full}")
    assert "Answers per question" in page.text and re.search(r"<strong>100%</strong>", page.text)


def test_minimum_of_respondents_is_a_setting(loaded, tool, platform):
    loaded.config["SELFASSESSMENT_MIN_RESPONDENTS"] = 5
    teacher = Person(tool, platform, "instructor", "teacher")
    _open(teacher, "Round", "2027-01-10")
    [round_id] = _round_ids(loaded)
    for person in _learners(tool, platform, 4):
        person.post(f"/self-assessment/team/rounds/{round_id}/answers", _answers(loaded.definition, lambda d, i: 1))
    teacher.post(f"/self-assessment/team/rounds/{round_id}/close", {})
    page = teacher.get(f"/self-assessment/team/rounds/{round_id}")
    assert "fewer than 5 members answered" in page.text and "Answers per question" not in page.text


def test_instructor_cannot_fetch_one_persons_answers(loaded, tool, platform):
    teacher = Person(tool, platform, "instructor", "teacher")
    _open(teacher, "Spring 2027", "2027-03-15")
    [round_id] = _round_ids(loaded)
    yes, no_1, no_2 = _learners(tool, platform, 3)
    yes.post(f"/self-assessment/team/rounds/{round_id}/answers", _answers(loaded.definition, lambda d, i: 2))
    for person in (no_1, no_2):
        person.post(f"/self-assessment/team/rounds/{round_id}/answers", _answers(loaded.definition, lambda d, i: 0))
    with loaded.app_context():
        yes_id = db.session.scalar(select(User.id).where(User.sub == yes.sub))
    # While the round is open the instructor sees how many answered, never what (no live aggregate
    # to watch change as each person answers).
    open_page = teacher.get(f"/self-assessment/team/rounds/{round_id}")
    assert "3 members answered" in open_page.text and "Answers per question" not in open_page.text
    teacher.post(f"/self-assessment/team/rounds/{round_id}/close", {})
    for params in ({}, {"user_id": yes_id}, {"user": yes.sub}, {"for_user": yes_id}):
        page = teacher.get(f"/self-assessment/team/rounds/{round_id}", **params)
        assert page.status_code == 200
        assert "Your answers" not in page.text and "own-answers" not in page.text
        assert re.search(r"Question 1 about it-data\?</th><td>2</td><td>0</td><td>1</td>", page.text), page.text[-3000:]
    data = teacher.get("/accreditation/my-data.json").json()              # the instructor's own data holds none
    assert data["team_self_assessment_answers"] == []
    # A learner sees their own answers and the team's, never another learner's.
    mine = no_1.get(f"/self-assessment/team/rounds/{round_id}", user_id=yes_id)
    own = mine.text.split('id="mine-h"')[1].split('id="team-h"')[0]
    assert own.count("<strong>No / not yet</strong>") == 25 and "<strong>Yes</strong>" not in own
    assert "Team score" in mine.text


def test_another_courses_instructor_sees_nothing(loaded, tool, platform):
    teacher = Person(tool, platform, "instructor", "teacher")
    _open(teacher, "Spring 2027", "2027-03-15")
    [round_id] = _round_ids(loaded)
    for person in _learners(tool, platform, 3):
        person.post(f"/self-assessment/team/rounds/{round_id}/answers", _answers(loaded.definition, lambda d, i: 1))
    teacher.post(f"/self-assessment/team/rounds/{round_id}/close", {})

    stranger = Person(tool, platform, "instructor", "other-teacher", course="course-2")
    assert stranger.get(f"/self-assessment/team/rounds/{round_id}").status_code == 404
    team = stranger.get("/self-assessment/team")
    assert "No rounds yet." in team.text and "Spring 2027" not in team.text and 'id="radar"' not in team.text
    assert stranger.post(f"/self-assessment/team/rounds/{round_id}/close", {}).status_code == 404

    _open(teacher, "Autumn 2027", "2027-09-15")
    autumn = _round_ids(loaded)[-1]
    outsider = Person(tool, platform, "learner", "outsider", course="course-2")
    assert outsider.get(f"/self-assessment/team/rounds/{autumn}").status_code == 404
    sneaked = outsider.post(f"/self-assessment/team/rounds/{autumn}/answers", _answers(loaded.definition, lambda d, i: 2))
    assert sneaked.status_code == 404
    assert stranger.post(f"/self-assessment/team/rounds/{autumn}/close", {}).status_code == 404
    with loaded.app_context():
        assert db.session.get(SelfAssessmentRound, autumn).closed_at is None
        assert db.session.scalar(select(func.count()).select_from(SelfAssessmentAnswer)
                                 .where(SelfAssessmentAnswer.round_id == autumn)) == 0


def _two_rounds(app, tool, platform, first, second):
    """Two closed rounds of three learners each, answered with first(d, i) and second(d, i)."""
    teacher = Person(tool, platform, "instructor", "teacher")
    learners = _learners(tool, platform, 3)
    for title, held_on, value_for in (("Spring 2027", "2027-03-15", first), ("Autumn 2027", "2027-09-15", second)):
        _open(teacher, title, held_on)
        round_id = _round_ids(app)[-1]
        for person in learners:
            person.post(f"/self-assessment/team/rounds/{round_id}/answers", _answers(app.definition, value_for))
        teacher.post(f"/self-assessment/team/rounds/{round_id}/close", {})
    return teacher, learners


def test_changes_between_rounds_and_weak_domains_are_named(loaded, tool, platform):
    def spring(domain, i):
        return {"it-data": 0, "costs-funding": 2}.get(domain, 1)

    def autumn(domain, i):
        # it-data 0% → 100%; costs-funding 100% → 0%; care-pathways 50% → 67% (2 of 3 questions at 2, one at 0)
        if domain == "care-pathways-outcomes":
            return [2, 2, 0][i]
        return {"it-data": 2, "costs-funding": 0}.get(domain, 1)

    teacher, learners = _two_rounds(loaded, tool, platform, spring, autumn)
    page = teacher.get("/self-assessment/team")
    text = re.sub(r"\s+", " ", page.text)
    improved = text.split('id="improved-h"')[1].split('id="declined-h"')[0]
    declined = text.split('id="declined-h"')[1].split("Weak domains in the latest round")[0]
    assert "Domain it-data: 0% → 100% (+100 points)" in improved
    assert "Domain care-pathways-outcomes: 50% → 67% (+17 points)" in improved
    assert "Domain costs-funding: 100% → 0% (-100 points)" in declined
    assert "multidisciplinary-team" not in improved + declined            # 50% → 50%: unchanged
    assert "moved 10 percentage points or more" in text
    weak = text.split("Weak domains in the latest round")[1]
    assert "Domain costs-funding" in weak and 'href="/modules/alpha-value?lt=' in weak
    assert "No upcoming workshop, masterclass or visit is planned for these modules yet" in weak
    data = re.search(r'<script type="application/json" id="radar-data">(.*?)</script>', page.text, re.S).group(1)
    assert '"Spring 2027 (2027-03-15)"' in data and '"Autumn 2027 (2027-09-15)"' in data
    # The change threshold is a setting: at 20 points the 17-point move is no longer named.
    loaded.config["SELFASSESSMENT_CHANGE_POINTS"] = 20
    assert "care-pathways-outcomes: 50%" not in teacher.get("/self-assessment/team").text
    # A learner sees the same team history, and their own answers per round.
    mine = learners[0].get("/self-assessment/team")
    assert "Domain it-data: 0% → 100%" in mine.text and mine.text.count(">Given<") == 2


def test_weak_domains_link_to_the_upcoming_events_of_their_modules(app, tool, platform, tmp_path):
    """Under a weak domain: the upcoming events of its modules with a link to each event's page;
    not a cancelled or ended one, nor an instructor's event of another LMS course."""
    from datetime import timedelta

    from elearn.events.models import Event
    from events_support import courses_with_events
    from lti.models import utcnow

    with app.app_context():
        load_checked(courses_with_events(tmp_path))          # "Value workshop" of alpha-value, 11 March 2027
        app.definition = get_document("self-assessment")
        workshop = db.session.scalar(select(Event.id).filter_by(source_key="alpha-value/workshop-one"))
        base = dict(module_id="alpha-value", mode="webinar", description={"nl": "x", "en": "x"},
                    timezone="Europe/Amsterdam", online_url="https://example.org/w", capacity=5, organiser="X",
                    created_by="test", starts_at=utcnow() + timedelta(days=30), ends_at=utcnow() + timedelta(days=30, hours=1))
        elsewhere = Event(source="instructor", title={"nl": "Elders", "en": "Other course webinar"}, **base)
        cancelled = Event(source="admin", title={"nl": "Afgelast", "en": "Cancelled webinar"}, cancelled_at=utcnow(),
                          **base)
        ended = Event(source="admin", title={"nl": "Voorbij", "en": "Past webinar"},
                      **dict(base, starts_at=utcnow() - timedelta(days=2), ends_at=utcnow() - timedelta(days=1)))
        db.session.add_all([elsewhere, cancelled, ended])
        db.session.commit()
        elsewhere_id = elsewhere.id
    teacher, learners = _two_rounds(app, tool, platform, lambda d, i: 2, lambda d, i: 2 if d != "costs-funding" else 0)
    with app.app_context():
        from elearn.launch.models import Context

        other = Context(platform_id=db.session.scalar(select(User.platform_id).limit(1)), context_id="course-x")
        db.session.add(other)
        db.session.flush()
        db.session.get(Event, elsewhere_id).context_pk = other.id
        ours = db.session.scalar(select(Context.id).filter_by(context_id="course-1"))
        db.session.add(Event(source="instructor", context_pk=ours, title={"nl": "Van ons", "en": "Our course webinar"},
                             **base))
        db.session.commit()
    for person in (teacher, learners[0]):
        page = person.get("/self-assessment/team")
        text = re.sub(r"\s+", " ", page.text)
        weak = text.split("Weak domains in the latest round")[1]
        assert "Domain costs-funding" in weak and 'href="/modules/alpha-value?lt=' in weak
        link = re.search(rf'<a href="(/events/{workshop}\?lt=[^"]+)">Value workshop</a>', weak)
        assert link, weak[:2000]
        assert "Workshop, Thursday 11 March 2027, 13:30–17:00" in weak
        assert "Our course webinar" in weak                              # an instructor's event of this course
        for title in ("Other course webinar", "Cancelled webinar", "Past webinar"):
            assert title not in weak
        event_page = person.browser.get(tool.url + link.group(1).replace("&amp;", "&"))
        assert event_page.status_code == 200 and "Value workshop" in event_page.text
    # The module page lists the same events: an instructor's event of another course is not there either.
    module_page = learners[0].get("/modules/alpha-value")
    assert "Value workshop" in module_page.text and "Other course webinar" not in module_page.text
    with app.app_context():
        assert ops.upcoming_events_for_modules(["beta-teams"], None) == []


def test_data_download_holds_own_answers_and_erasure_removes_them(loaded, tool, platform):
    teacher, learners = _two_rounds(loaded, tool, platform, lambda d, i: 1, lambda d, i: 2)
    _open(teacher, "Winter 2028", "2028-01-15")
    winter = _round_ids(loaded)[-1]
    for person in learners:
        person.post(f"/self-assessment/team/rounds/{winter}/answers", _answers(loaded.definition, lambda d, i: 0))
    leaver = learners[0]
    data = leaver.get("/accreditation/my-data.json").json()
    rounds = sorted((a["round_title"], sorted(set(a["answers"].values()))) for a in data["team_self_assessment_answers"])
    assert rounds == [("Autumn 2027", [2]), ("Spring 2027", [1]), ("Winter 2028", [0])]

    erased = leaver.post("/accreditation/erase", {"confirm": "erase"})
    assert erased.status_code == 200
    with loaded.app_context():
        user_id = db.session.scalar(select(User.id).join(SelfAssessmentAnswer, isouter=True)
                                    .where(User.name.is_(None)))
        assert db.session.scalar(select(func.count()).select_from(SelfAssessmentAnswer)
                                 .where(SelfAssessmentAnswer.user_id == user_id)) == 0
        assert _count(loaded, SelfAssessmentAnswer) == 2 * 3 + 3 - 3
        closed = db.session.scalars(select(SelfAssessmentRound).where(SelfAssessmentRound.closed_at.is_not(None))).all()
        assert [r.aggregate["respondents"] for r in closed] == [3, 3]     # closed rounds keep their counts
    assert "2 members have answered so far." in teacher.get("/self-assessment/team").text   # the open one lost theirs
