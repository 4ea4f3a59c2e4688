"""A small bilingual pool with every question type, shaped like a parsed quiz.yaml.

For tests, demos and previews before real content is loaded — not course content.
"""
from __future__ import annotations

import copy
from typing import Any


def _t(nl: str, en: str) -> dict[str, str]:
    """A text in both languages."""
    return {"nl": nl, "en": en}


def _choice(choice_id: str, nl: str, en: str, fb_nl: str, fb_en: str, **extra: Any) -> dict[str, Any]:
    """A choice with its feedback."""
    return {"id": choice_id, "text": _t(nl, en), "feedback": _t(fb_nl, fb_en), **extra}


_SOURCE = {"doc": "002", "section": "Advies 2"}
_POOL: dict[str, Any] = {"pass_mark": 70, "draw": 6, "items": [
    {"id": "value-definition", "type": "single", "objective": "explain-value", "source": _SOURCE,
     "prompt": _t("Wat is waarde in waardegedreven zorg?", "What is value in value-based health care?"),
     "choices": [_choice("a", "Uitkomsten die ertoe doen voor de patiënt, gedeeld door de kosten",
                         "Outcomes that matter to patients, divided by costs", "Juist.", "Right."),
                 _choice("b", "Zo laag mogelijke kosten", "The lowest possible costs",
                         "Kosten alleen zeggen niets over uitkomsten.", "Costs alone say nothing about outcomes."),
                 _choice("c", "Geen van beide", "Neither", "Eén antwoord klopt wel.", "One answer is right.",
                         pinned=True)],
     "correct": ["a"], "explanation": _t("Waarde = uitkomsten / kosten.", "Value = outcomes / costs.")},
    {"id": "value-for-whom", "type": "truefalse", "objective": "explain-value", "source": _SOURCE,
     "prompt": _t("Waarde wordt bepaald vanuit het perspectief van de patiënt.",
                  "Value is defined from the patient's perspective."),
     "choices": [{"id": "true", "feedback": _t("Juist.", "Right.")},
                 {"id": "false", "feedback": _t("Het gaat om de patiënt.", "It is about the patient.")}],
     "correct": ["true"], "explanation": _t("De patiënt staat centraal.", "The patient is central.")},
    {"id": "outcome-tiers", "type": "multiple", "objective": "measure-outcomes", "source": _SOURCE,
     "prompt": _t("Welke zijn uitkomsten?", "Which are outcomes?"),
     "choices": [_choice("a", "Overleving", "Survival", "Juist.", "Right."),
                 _choice("b", "Kwaliteit van leven", "Quality of life", "Juist.", "Right."),
                 _choice("c", "Aantal consulten", "Number of visits", "Dat is een proces.", "That is a process."),
                 _choice("d", "Terugkeer naar werk", "Return to work", "Juist.", "Right.")],
     "correct": ["a", "b", "d"], "explanation": _t("Uitkomsten zijn resultaten.", "Outcomes are results.")},
    {"id": "measure-terms", "type": "matching", "objective": "measure-outcomes", "source": _SOURCE,
     "prompt": _t("Koppel begrip en voorbeeld.", "Match term and example."),
     "pairs": [{"id": "prom", "left": _t("PROM", "PROM"), "right": _t("Pijnscore", "Pain score"),
                "feedback": _t("Door de patiënt gemeld.", "Patient-reported.")},
               {"id": "prem", "left": _t("PREM", "PREM"), "right": _t("Wachttijd-ervaring", "Waiting experience"),
                "feedback": _t("Ervaring.", "Experience.")},
               {"id": "cost", "left": _t("Kosten", "Costs"), "right": _t("Tijd x tarief", "Time x rate"),
                "feedback": _t("Activiteitenkosten.", "Activity costs.")}],
     "explanation": _t("Drie soorten metingen.", "Three kinds of measures.")},
    {"id": "improvement-cycle", "type": "ordering", "objective": "improve-with-data", "source": _SOURCE,
     "prompt": _t("Zet de stappen in volgorde.", "Put the steps in order."),
     "steps": [{"id": "measure", "text": _t("Meten", "Measure")},
               {"id": "compare", "text": _t("Vergelijken", "Compare")},
               {"id": "learn", "text": _t("Leren", "Learn")},
               {"id": "improve", "text": _t("Verbeteren", "Improve")}],
     "feedback": {"correct": _t("Goed.", "Right."), "incorrect": _t("Eerst meten.", "Measure first.")},
     "explanation": _t("Meten, vergelijken, leren, verbeteren.", "Measure, compare, learn, improve.")},
    {"id": "value-ratio", "type": "numeric", "objective": "explain-value", "source": _SOURCE,
     "prompt": _t("Uitkomstscore 75, kosten 6 (×1000 euro). Waarde?", "Outcome score 75, costs 6 (×1000 euro). Value?"),
     "answer": 12.5, "tolerance": 0.5, "unit": _t("punten per 1000 euro", "points per 1000 euro"),
     "feedback": {"correct": _t("75 / 6 = 12,5.", "75 / 6 = 12.5."),
                  "incorrect": _t("Deel 75 door 6.", "Divide 75 by 6.")},
     "explanation": _t("Waarde = uitkomst / kosten.", "Value = outcome / costs.")},
    {"id": "improve-first-step", "type": "single", "objective": "improve-with-data", "source": _SOURCE,
     "prompt": _t("Waarmee begint verbeteren?", "Where does improving start?"),
     "choices": [_choice("a", "Meten", "Measuring", "Juist.", "Right."),
                 _choice("b", "Bezuinigen", "Cutting costs", "Nee.", "No.")],
     "correct": ["a"], "explanation": _t("Zonder meting geen verbetering.", "No improvement without measuring.")},
    {"id": "prom-owner", "type": "truefalse", "objective": "measure-outcomes", "source": _SOURCE,
     "prompt": _t("Een PROM vult de arts in.", "A PROM is filled in by the doctor."),
     "choices": [{"id": "true", "feedback": _t("Nee, de patiënt.", "No, the patient.")},
                 {"id": "false", "feedback": _t("Juist.", "Right.")}],
     "correct": ["false"], "explanation": _t("P = patiënt.", "P = patient.")},
]}


def example_pool() -> dict[str, Any]:
    """A fresh copy of the example pool (callers may change it)."""
    return copy.deepcopy(_POOL)
