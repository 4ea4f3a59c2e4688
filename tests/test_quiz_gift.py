"""GIFT export/import: round trips of every type, escaping, Moodle's own GIFT, errors with lines."""
import pytest

from elearn.quizzes.examples import example_pool
from elearn.questions.gift import export_gift, import_gift, merge_language
from elearn.questions.messages import GiftError


def in_language(value, lang):
    """The pool with every {nl, en} text reduced to one language."""
    if isinstance(value, dict):
        if value and set(value) <= {"nl", "en"}:
            return {lang: value[lang]}
        return {k: in_language(v, lang) for k, v in value.items()}
    if isinstance(value, list):
        return [in_language(v, lang) for v in value]
    return value


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_type_round_trips(lang):
    pool = example_pool()
    assert {i["type"] for i in pool["items"]} == {"single", "multiple", "truefalse", "matching", "ordering",
                                                  "numeric"}
    back = import_gift(export_gift(pool, lang), lang)
    assert back == in_language(pool["items"], lang)


def test_two_languages_merge_back_into_the_bilingual_pool():
    pool = example_pool()
    dutch = import_gift(export_gift(pool, "nl"), "nl")
    english = import_gift(export_gift(pool, "en"), "en")
    assert merge_language(dutch, english, "en") == pool["items"]


def test_merge_refuses_structure_changes_and_unknown_items():
    pool = example_pool()
    english = import_gift(export_gift(pool, "en"), "en")
    english[0]["correct"] = ["b"]
    with pytest.raises(GiftError, match="value-definition differs from the pool"):
        merge_language(pool["items"], english, "en")
    with pytest.raises(GiftError, match="not in the pool"):
        merge_language(pool["items"][1:], english[:1], "en")


def test_special_characters_and_newlines_survive():
    tricky = "Kosten {€} ~ 50% = x # y: z \\ pad\nTweede regel -> pijl"
    pool = example_pool()
    item = pool["items"][0]
    item["prompt"]["nl"] = tricky
    item["choices"][1]["text"]["nl"] = "%50% van de patiënten"     # would read as a weight
    item["choices"][0]["feedback"]["nl"] = tricky
    item["explanation"]["nl"] = "####" + tricky
    item["source"]["section"] = "Advies 2: {x}"
    text = export_gift(pool, "nl")
    assert "\\{€\\} \\~ 50% \\= x \\# y\\: z \\\\ pad\\nTweede" in text
    assert import_gift(text, "nl") == in_language(pool["items"], "nl")


def test_exported_file_is_plain_gift_moodle_can_read():
    text = export_gift(example_pool(), "en")
    assert "::value-definition::[markdown]What is value in value-based health care?{" in text
    assert "\t~%33.33333%Survival#Right." in text and "\t~%-33.33333%Number of visits#" in text
    assert "\tTRUE#It is about the patient.#Right." in text          # feedback if wrong, then if right
    assert "\t=1 -> Measure" in text and "// [type] ordering" in text  # ordering as a matching
    assert "\t=12.5:0.5#75 / 6 \\= 12.5." in text and "\t~#Divide 75 by 6." in text


def test_moodle_gift_without_our_annotations():
    text = (
        "\ufeff// a Moodle export\r\n$CATEGORY: $course$/Top\r\n\r\n"
        "::Q1 Grant's tomb::[html]Who's buried in Grant's tomb?{~Grant ~Jefferson =no one#Right!}\r\n\r\n"
        "Grant was born in 1822.{T}\r\n\r\n"
        "When was Grant born?{#1822:5}\r\n\r\n"
        "Born between?{#1820..1824}\r\n\r\n"
        "Which are primes?{~%50%2 ~%50%3 ~%-100%4}\r\n\r\n"
        "Match capitals.{=Canada -> Ottawa =Italy -> Rome =Japan -> Tokyo ####Capitals.}\r\n"
    )
    single, truefalse, numeric, ranged, multiple, matching = import_gift(text, "en")
    assert single["id"] == "q1-grant-s-tomb" and single["prompt"] == {"en": "Who's buried in Grant's tomb?"}
    assert [c["id"] for c in single["choices"]] == ["a", "b", "c"] and single["correct"] == ["c"]
    assert single["choices"][2]["feedback"] == {"en": "Right!"}
    assert truefalse["id"] == "item-2" and truefalse["correct"] == ["true"]
    assert (numeric["answer"], numeric["tolerance"]) == (1822, 5)
    assert (ranged["answer"], ranged["tolerance"]) == (1822, 2)
    assert multiple["type"] == "multiple" and multiple["correct"] == ["a", "b"]
    assert [p["right"]["en"] for p in matching["pairs"]] == ["Ottawa", "Rome", "Tokyo"]
    assert matching["explanation"] == {"en": "Capitals."}


@pytest.mark.parametrize("text, line, code", [
    ("Q?{=a ~b", 1, "gift_braces"),
    ("// [type] single\n\nQ?{=a ~b}", 1, "gift_orphan_notes"),
    ("A fine one{=a ~b}\n\nNo answers here", 3, "gift_braces"),
    ("Q?{=a ~b} and more", 1, "gift_missing_word"),
    ("Q?{=no one =nobody}", 1, "gift_unsupported"),
    ("Essay?{}", 1, "gift_unsupported"),
    ("Q?{\n=a\n=b\n~c}", 3, "gift_one_right"),   # the second = answer
    ("Q?{\n=a -> 1\n=b\n}", 3, "gift_pair"),
    ("Q?{#abc}", 1, "gift_not_a_number"),
    ("Q?{#=1:0 =%50%2:0}", 1, "gift_one_number"),
    ("Q?{~%0%a ~%-50%b}", 1, "gift_no_right"),
    ("// [colour] red\nQ?{=a ~b}", 1, "gift_bad_annotation"),
    ("// [choices] a b c\nQ?{=a ~b}", 1, "gift_bad_ids"),
    ("// [type] matching\nQ?{=a ~b}", 2, "gift_type_mismatch"),
    ("::x::Q?{=a ~b}\n\n::x::R?{=a ~b}", 3, "gift_duplicate_id"),
    ("::unclosed Q?{=a ~b}", 1, "gift_title"),
    ("// [type] ordering\nQ?{=1 -> a =3 -> b}", 2, "gift_places"),
])
def test_malformed_gift_names_the_line(text, line, code):
    with pytest.raises(GiftError) as caught:
        import_gift(text, "nl")
    assert (caught.value.code, caught.value.line) == (code, line)
    assert str(caught.value).startswith(f"Line {line}: ")


@pytest.mark.parametrize("text, code", [
    ("Q?{#1e999999}", "gift_number_too_long"),          # int() of it took minutes (atheris found it)
    ("Q?{#1e5..1e999999}", "gift_number_too_long"),
    ("Q?{#0.5:1e-999999999}", "gift_number_too_long"),
    ("Q?{#5:-1}", "gift_negative_tolerance"),           # no answer could ever be right
    ("Q?{#3..1}", "gift_negative_tolerance"),
])
def test_numbers_no_learner_could_answer_are_refused_with_their_line(text, code):
    with pytest.raises(GiftError) as caught:
        import_gift("// a comment\n" + text, "en")
    assert (caught.value.code, caught.value.line) == (code, 2)


@pytest.mark.parametrize("number", ["12345678901234567890.12345678901234567",   # finer than a float
                                    "12345678901234567890123456789.123"])  # atheris: > 28 digits
def test_a_number_reads_back_the_same_after_export(number):
    items = import_gift(f"Q?{{#{number}}}", "en")
    assert import_gift(export_gift({"items": items}, "en"), "en") == items


def test_export_refuses_missing_language_and_ambiguous_matching():
    pool = example_pool()
    del pool["items"][0]["prompt"]["en"]
    with pytest.raises(GiftError, match="value-definition has no en text for prompt"):
        export_gift(pool, "en")
    pool = example_pool()
    pool["items"][3]["pairs"][0]["left"]["nl"] = "A -> B"
    with pytest.raises(GiftError, match="'->'"):
        export_gift(pool, "nl")


def test_numeric_without_tolerance_stays_exact():
    item = {"id": "n", "type": "numeric", "prompt": {"nl": "Hoeveel?"}, "answer": -3}
    text = export_gift({"items": [item]}, "nl")
    assert "=-3\n" in text
    assert import_gift(text, "nl") == [item]
