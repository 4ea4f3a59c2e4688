"""`flask courses gift-export|gift-import`: question pools in and out of Moodle's GIFT format."""
from pathlib import Path

import yaml

VALID = Path(__file__).parent / "fixtures" / "courses_valid"


def test_export_then_import_round_trips_the_pool(runner, tmp_path):
    from elearn.catalog import yamlsrc
    from elearn.catalog.content import plain

    pool = plain(yamlsrc.load((VALID / "modules" / "alpha-value" / "quiz.yaml").read_text())[0])
    gift = tmp_path / "alpha-en.gift"
    done = runner.invoke(args=["courses", "gift-export", "alpha-value", "--lang", "en", "--dir", str(VALID),
                               "-o", str(gift)])
    assert done.exit_code == 0, done.output
    assert "::single-1::" in gift.read_text()
    merged = runner.invoke(args=["courses", "gift-import", str(gift), "--lang", "en", "--module", "alpha-value",
                                 "--dir", str(VALID)])
    assert merged.exit_code == 0, merged.output
    assert yaml.safe_load(merged.output) == pool                   # every type, id, answer and text survives


def test_plain_moodle_gift_becomes_a_new_pool(runner, tmp_path):
    gift = tmp_path / "moodle.gift"
    gift.write_text("::q1:: Waarde is uitkomsten gedeeld door {=kosten ~tijd ~volume}\n\n"
                    "::q2:: Een zorgcyclus loopt over echelons heen {TRUE}\n")
    done = runner.invoke(args=["courses", "gift-import", str(gift), "--lang", "nl"])
    assert done.exit_code == 0, done.output
    pool = yaml.safe_load(done.output)
    assert [i["id"] for i in pool["items"]] == ["q1", "q2"]
    assert [i["type"] for i in pool["items"]] == ["single", "truefalse"]


def test_broken_gift_names_the_file_and_line(runner, tmp_path):
    gift = tmp_path / "broken.gift"
    gift.write_text("::q1:: Fine {=a ~b}\n\n::q2:: Broken {=a ~b\n")
    done = runner.invoke(args=["courses", "gift-import", str(gift), "--lang", "nl"])
    assert done.exit_code != 0 and "broken.gift" in done.output and "Line 3" in done.output


def test_a_file_that_is_not_utf8_names_the_file_and_line(runner, tmp_path):
    # The GIFT harness (tests/fuzz/fuzz_gift.py) only feeds text; the bytes before it were a traceback.
    gift = tmp_path / "latin1.gift"
    gift.write_bytes("::q1:: Fine {=a ~b}\n\n::q2:: Café {=a ~b}\n".encode("latin-1"))
    done = runner.invoke(args=["courses", "gift-import", str(gift), "--lang", "nl"])
    assert done.exit_code == 1 and "latin1.gift: line 3 is not UTF-8 text" in done.output, done.output
