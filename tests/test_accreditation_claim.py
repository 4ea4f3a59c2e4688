"""The professional's journey over HTTP: a passed accredited post-test leads straight on to the points —
what is still needed, one form for it, then the certificate; a validation error keeps everything typed
and saves nothing; counts of points are in the right plural form on every page and the certificate."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta
from html import unescape

import pypdf
import pytest
from sqlalchemy import func, select

from elearn.accreditation.models import Activity, Attestation, EvaluationDone, LedgerEntry, ProfessionalIdentity
from elearn.extensions import db
from launch_support import browser, tool  # noqa: F401 (fixtures)
from launch_support import module_platform  # noqa: F401 (one platform per module)
from quiz_support import MODULE, launch_learner, loaded, take  # noqa: F401

EVALUATION = {"relevance": "5", "quality": "4", "objectives": "4", "independence": "5"}


def _activity(app, points: float = 1.5, rule: dict | None = None) -> int:
    """An accredited activity of the fixture module, valid today; its id."""
    with app.app_context():
        activity = Activity(title={"nl": "Waarde en uitkomsten", "en": "Value and outcomes"}, module_ids=[MODULE],
                            register="gaia", accreditation_id="GAIA-777001", points=points,
                            points_kind="accreditation hours", study_load_minutes=90,
                            valid_from=date.today() - timedelta(days=1), valid_until=date.today() + timedelta(days=90),
                            professions=["medical-specialist"], rule=rule or {"post_test": True, "evaluation": True})
        db.session.add(activity)
        db.session.commit()
        return activity.id


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _text(html: str) -> str:
    """The page's words, tags dropped and whitespace collapsed (what a reader sees)."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _claim_link(html: str) -> str:
    """The 'Claim your points' link of a result page."""
    return unescape(re.search(r'<a class="btn" href="([^"]*/accreditation/activities/\d+[^"]*#claim)"', html).group(1))


def _details(lt: str, **changes) -> dict:
    form = {"lt": lt, "registered_name": "Sanne de Vries", "profession": "medical-specialist", "big": "19012345601",
            "consent": "yes", "comment": "Useful cases.", **EVALUATION}
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def test_a_passed_post_test_leads_to_the_certificate_in_one_step(loaded, tool, platform, browser):
    activity_id = _activity(loaded)
    _page, lt = launch_learner(platform, browser, resource_link_id="rl-journey")
    result, _attempt = take(browser, tool, lt)
    words = _text(result.text)
    assert "Your accreditation points" in words and "1.5 accreditation hours with GAIA" in words
    assert "fill in the course evaluation" in words and "give your details for the register" in words
    link = _claim_link(result.text)
    claim = browser.get(tool.url + link if link.startswith("/") else link)
    assert claim.status_code == 200 and 'id="claim"' in claim.text
    assert "Name as registered" in claim.text and "Course evaluation" in claim.text   # both in the one form
    done = browser.post(f"{tool.url}/accreditation/activities/{activity_id}/claim", data=_details(lt))
    assert done.status_code == 200 and "Your points are recorded. Your certificate is ready." in done.text
    pdf_link = unescape(re.search(r'href="([^"]*/certificates/[A-Z2-9]{12}\.pdf[^"]*)"', done.text).group(1))
    certificate = browser.get(pdf_link if pdf_link.startswith("http") else tool.url + pdf_link)
    assert certificate.status_code == 200 and certificate.headers["Content-Type"] == "application/pdf"
    text = pypdf.PdfReader(io.BytesIO(certificate.content)).pages[0].extract_text()
    assert "Sanne de Vries" in text and "GAIA-777001" in text
    with loaded.app_context():
        [record] = db.session.scalars(select(LedgerEntry)).all()
        assert record.payload["evaluation_done"] is True and record.payload["post_test_percent"] == 100
    again = browser.get(result.url)                                # the result page now offers the certificate
    assert "Your points are recorded" in again.text and ".pdf" in again.text and 'href="#claim"' not in again.text


def test_a_validation_error_keeps_everything_typed_and_saves_nothing(loaded, tool, platform, browser):
    activity_id = _activity(loaded)
    _page, lt = launch_learner(platform, browser, resource_link_id="rl-typed")
    take(browser, tool, lt)
    url = f"{tool.url}/accreditation/activities/{activity_id}/claim"
    bad = browser.post(url, data=_details(lt, big="1901234", comment="Typed with care.", objectives=None))
    assert bad.status_code == 422
    html = bad.text
    assert "A BIG number has 11 digits." in html and "Answer every statement." in html
    assert "2 answers need your attention" in _text(html)
    assert 'value="Sanne de Vries"' in html and 'value="1901234"' in html
    assert re.search(r'<option value="medical-specialist"\s+selected', html)
    assert re.search(r'id="consent" name="consent" value="yes"\s+checked', html)       # consent kept
    assert re.search(r'id="ev-relevance-5" name="relevance" value="5"\s+checked', html)
    assert re.search(r'id="ev-quality-4" name="quality" value="4"\s+checked', html)
    assert "Typed with care.</textarea>" in html
    assert _count(loaded, ProfessionalIdentity) == 0 and _count(loaded, EvaluationDone) == 0   # nothing half-saved
    no_consent = browser.post(url, data=_details(lt, consent=None))
    assert no_consent.status_code == 422 and "Tick the box" in no_consent.text
    assert 'value="19012345601"' in no_consent.text and _count(loaded, ProfessionalIdentity) == 0
    assert browser.post(url, data=_details(lt)).status_code == 200 and _count(loaded, LedgerEntry) == 1


def test_a_forged_or_tampered_claim_records_nothing(loaded, tool, platform, browser):
    activity_id = _activity(loaded)
    _page, lt = launch_learner(platform, browser, resource_link_id="rl-forged")
    url = f"{tool.url}/accreditation/activities/{activity_id}/claim"
    forged = browser.post(url, data={k: v for k, v in _details(lt).items() if k != "lt"})   # another site's form
    assert forged.status_code == 400
    for tampered in ({"profession": "administrator"}, {"relevance": "9"}, {"big": "1901234560X"}):
        refused = browser.post(url, data=_details(lt, **tampered))
        assert refused.status_code == 422, tampered
    assert _count(loaded, ProfessionalIdentity) == 0 and _count(loaded, EvaluationDone) == 0
    early = browser.post(url, data=_details(lt))                   # all given, but the post-test is not passed
    assert early.status_code == 200 and "Your details are saved" in early.text and _count(loaded, LedgerEntry) == 0


def test_a_refused_claim_keeps_what_was_typed_and_names_the_error_in_dutch(loaded, tool, platform, browser):
    activity_id = _activity(loaded)
    _page, lt = launch_learner(platform, browser, resource_link_id="rl-typed-nl", locale="nl")
    url = f"{tool.url}/accreditation/activities/{activity_id}/claim"
    bad = browser.post(url, data=_details(lt, big="1901234", registered_name="Sanne de Vries-Jansen", quality=None))
    assert bad.status_code == 422
    assert "Een BIG-nummer heeft 11 cijfers." in bad.text and "A BIG number has 11 digits." not in bad.text
    assert 'value="Sanne de Vries-Jansen"' in bad.text and 'value="1901234"' in bad.text
    assert re.search(r'id="ev-relevance-5" name="relevance" value="5"\s+checked', bad.text)
    assert "Useful cases.</textarea>" in bad.text
    assert _count(loaded, ProfessionalIdentity) == 0 and _count(loaded, EvaluationDone) == 0


def test_tampered_or_missing_minutes_are_refused_and_write_nothing(loaded, tool, platform, browser):
    activity_id = _activity(loaded, rule={"post_test": True, "attestation": True})
    _page, lt = launch_learner(platform, browser, resource_link_id="rl-minutes")
    url = f"{tool.url}/accreditation/activities/{activity_id}/claim"
    for minutes in ("90abc", "0", "1441", "-5", "", None):
        refused = browser.post(url, data=_details(lt, minutes=minutes))
        assert refused.status_code == 422, minutes
        assert "Give the time you spent in whole minutes." in refused.text, minutes
        if minutes:
            assert f'value="{minutes}"' in refused.text, minutes          # what was typed stays
    assert _count(loaded, ProfessionalIdentity) == 0 and _count(loaded, Attestation) == 0
    saved = browser.post(url, data=_details(lt, minutes="90"))
    assert saved.status_code == 200 and _count(loaded, Attestation) == 1


@pytest.mark.parametrize("locale, one, two", [("en", "1 accreditation hour", "2 accreditation hours"),
                                              ("nl", "1 accreditatie-uur", "2 accreditatie-uren")])
def test_points_are_counted_in_the_right_plural_form(loaded, tool, platform, browser, locale, one, two):
    single, double = _activity(loaded, points=1, rule={"post_test": True}), _activity(loaded, points=2,
                                                                                      rule={"post_test": True})
    page, lt = launch_learner(platform, browser, resource_link_id=f"rl-plural-{locale}", locale=locale)
    module_words = _text(page.text)
    assert f"{one} " in module_words and f"{two} " in module_words
    assert "1 accreditation hours" not in module_words and "1 accreditatie-uren" not in module_words
    claim = _text(browser.get(f"{tool.url}/accreditation/activities/{single}", params={"lt": lt}).text)
    assert f"{one} " in claim and "1 accreditation hours" not in claim and "1 accreditatie-uren" not in claim
    assert two in _text(browser.get(f"{tool.url}/accreditation/activities/{double}", params={"lt": lt}).text)
    browser.post(f"{tool.url}/accreditation/activities/{single}/claim", data=_details(lt))
    browser.post(f"{tool.url}/accreditation/activities/{double}/claim", data=_details(lt))
    take(browser, tool, lt)                                        # passing records both activities
    with loaded.app_context():
        codes = {e.activity_id: e.record_code for e in db.session.scalars(select(LedgerEntry))}
    for activity_id, words in ((single, one), (double, two)):
        body = browser.get(f"{tool.url}/certificates/{codes[activity_id]}.pdf", params={"lt": lt}).content
        text = " ".join(pypdf.PdfReader(io.BytesIO(body)).pages[0].extract_text().split())
        assert words in text, text
        assert "1 accreditation hours" not in text and "1 accreditatie-uren" not in text


def test_the_ledger_count_has_its_plural_form(loaded, runner, live_server):
    from elearn.accreditation import ledger
    from test_accreditation import _user
    from test_accreditation_admin import _signed_in

    activity_id = _activity(loaded)
    with loaded.app_context():
        ledger.record_once(activity_id, _user().id, {"name": "P", "profession": "nurse", "identifiers": {}},
                           {"points": 1, "completed_on": date.today().isoformat()})
    _browser, home = _signed_in(runner, live_server)
    assert "The ledger is intact (1 entry checked)." in _text(home.text)
