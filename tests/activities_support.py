"""Learning activities in a loaded fixture module, as the course loader will store them
(content["activities"] and content["study_load"] of the module's current version)."""
from __future__ import annotations

import hashlib
import json

import pytest

from elearn.catalog.models import Module
from elearn.extensions import db
from quiz_support import MODULE, VALID  # noqa: F401

ACTIVITIES = {
    "cases": [
        {"id": "hip-fracture-cycle", "objective": "explain-idea", "minutes": 20,
         "title": {"nl": "Heupfractuur: de hele cyclus", "en": "Hip fracture: the whole cycle"},
         "situation": {"nl": "<p>Een ziekenhuis in Zwolle behandelt 400 patiënten met een heupfractuur per jaar.</p>",
                       "en": "<p>A hospital in Zwolle treats 400 patients with a hip fracture a year.</p>"},
         "task": {"nl": "<ol><li>Welke uitkomsten meet je?</li></ol>", "en": "<ol><li>Which outcomes do you measure?</li></ol>"},
         "model_answer": {"nl": "<p>Mortaliteit na 30 dagen, terugkeer naar de eigen woning.</p>",
                          "en": "<p>Thirty-day mortality, return to one's own home.</p>"},
         "sources": [{"doc": "002", "section": "Advies 2"}]},
        {"id": "costs-per-cycle", "objective": "explain-idea", "minutes": 15,
         "title": {"nl": "Kosten per cyclus", "en": "Costs per cycle"},
         "situation": {"nl": "<p>De afdeling kent alleen de kosten per verrichting.</p>",
                       "en": "<p>The department only knows the cost per procedure.</p>"},
         "task": {"nl": "<p>Hoe kom je tot kosten per cyclus?</p>", "en": "<p>How do you arrive at costs per cycle?</p>"},
         "model_answer": {"nl": "<p>Tijdgedreven activity-based costing over de hele cyclus.</p>",
                          "en": "<p>Time-driven activity-based costing over the whole cycle.</p>"},
         "sources": [{"doc": "001", "section": "Kosten"}]},
    ],
    "reflection": {"id": "own-department", "minutes": 15,
                   "prompt": {"nl": "<p>Hoe ziet de zorgcyclus eruit op jouw afdeling?</p>",
                              "en": "<p>What does the care cycle look like in your department?</p>"}},
    "further_reading": [
        {"source": "porter-lee-2013", "reference": "Porter ME, Lee TH. The strategy that will fix health care. HBR. 2013;91(10):50-70.",
         "url": "https://hbr.org/2013/10/the-strategy-that-will-fix-health-care",
         "why": {"nl": "De zes onderdelen van de waardeagenda.", "en": "The six parts of the value agenda."},
         "required": True, "minutes": 30},
        {"source": "porter-teisberg-2006", "reference": "Porter ME, Teisberg EO. Redefining health care. 2006.",
         "url": None, "why": {"nl": "De achtergrond.", "en": "The background."}, "required": False, "minutes": None},
    ],
}
STUDY_LOAD = {"reading": 21, "post_test": 12, "cases": 35, "reflection": 15, "further_reading": 30,
              "derived": 113, "claimed": 105}
ACTIVITY_IDS = ["hip-fracture-cycle", "costs-per-cycle", "own-department"]


def give_activities(app, module_id: str = MODULE, activities: dict | None = ACTIVITIES) -> None:
    """Write activities (and the study load) into the module's current version, with a new content
    hash, as a load of the course files with activities.yaml would."""
    with app.app_context():
        version = db.session.get(Module, module_id).current_version
        content = dict(version.stored_content, activities=activities, study_load=STUDY_LOAD)
        version.stored_content = content
        # The hash names the content (pages read it from memory by hash): new content, new hash.
        # Derived from what is written, so two tests giving different activities never share a hash.
        written = json.dumps(activities, sort_keys=True)
        version.content_hash = hashlib.sha256((version.content_hash + written).encode()).hexdigest()
        db.session.commit()


@pytest.fixture()
def with_activities(loaded):
    """The fixture courses loaded, alpha-value with two cases, a reflection and further reading."""
    give_activities(loaded)
    return loaded
