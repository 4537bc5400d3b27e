"""The real app under Xvfb on a whole demo terminal, driven by simulated touches through whole
journeys: what was stored, what the emulated printer printed, and what the screen showed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.masking import mask
from kiosk.store import Store, Submission
from sync.reference import reference

ROOT = Path(__file__).resolve().parents[2]

@pytest.fixture(scope="module")
def run(display, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("kiosk-ui")
    env = {**os.environ, "DISPLAY": display, "KIVY_NO_ARGS": "1",
           "KIVY_HOME": str(data_dir / "kivy"), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("driver.py")), str(data_dir)],
                          env=env, capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    store = Store.open(data_dir / "kiosk.sqlite3")
    stored = {s.account: s for s in store.submissions.latest()}
    store.close()
    pages = [json.loads(path.read_text(encoding="utf-8"))
             for path in sorted((data_dir / "slips").glob("*.json"))]
    return report, stored, pages


def journey(report, name):
    found = next(j for j in report["journeys"] if j["name"] == name)
    assert found["error"] is None, found
    return found


def slip_of(pages, submission: Submission) -> str:
    """The text of the one page the emulated printer printed for this submission."""
    # The demo's slips carry the office's check page for them in their QR code.
    found = [page for page in pages if any(qr.endswith(f"/r/{submission.txn_id}") for qr in page["qr"])]
    assert len(found) == 1, f"{len(found)} slips carry {submission.txn_id}"
    assert found[0]["complete"], found[0]
    return "\n".join(found[0]["lines"])


def assert_slip_shows(text: str, submission: Submission, number_word: str) -> None:
    assert mask(submission.account) in text
    assert submission.account not in text  # only the last four digits, never the whole number
    for reading in submission.readings:
        assert re.search(rf"\b{reading.previous}\s+{reading.value}\s+{reading.consumption}\b", text), reading
    assert re.search(rf"^{re.escape(number_word)}\s+{submission.seq}$", text, re.M), text
    assert submission.txn_id in text.replace("\n", "").replace(" ", "")
    assert re.search(rf"^\s*{reference(submission.txn_id)}\s*$", text, re.M), text


def assert_result_shows_what_was_sent(seen, submission: Submission, code_word: str) -> None:
    """The result screen: the slip's code under the slip's word for it, the hotline, the month,
    and every zone's previous, new and used figures with the total."""
    assert seen["txn_id"] == submission.txn_id
    assert seen["number_label"] == code_word and seen["number"] == reference(submission.txn_id)
    assert "8\u00a0800\u00a0000-00-00" in seen["hotline"]
    assert submission.period[:4] in seen["period"]
    cells = seen["sent"]
    for reading in submission.readings:
        index = cells.index(str(reading.value))
        assert cells[index - 1:index + 2] == [str(reading.previous), str(reading.value),
                                              str(reading.consumption)]
    assert cells[-1] == str(submission.total)


def test_two_zone_meter_by_keypad(run):
    report, stored, pages = run
    seen = journey(report, "two_zone")
    assert seen["steps"][:4] == ["account", "meter", "reading", "review"], seen
    assert "result" in seen["steps"]
    assert seen["after_double_tap"] == ""
    submission = stored["2287008779"]
    assert [r.value for r in submission.readings] == [12400, 6800] and submission.total == 66
    assert submission.print_state == "printed"
    # The customer switched to English on the way: the slip speaks it too.
    assert_slip_shows(slip_of(pages, submission), submission, "No.")
    assert_result_shows_what_was_sent(seen, submission, "Slip code")
    assert seen["message"] == "Please take your slip from the slot below the screen."
    assert not seen["qr_shown"]  # the slip carries the code


def test_a_bouncing_finger_types_one_digit_and_a_deliberate_repeat_two(run):
    report, _stored, _pages = run
    seen = journey(report, "bounce")
    assert seen["after_bounce"] == "5"  # two touches 30 ms apart
    assert seen["after_deliberate"] == "55"  # the same key 250 ms later


def test_scan_then_one_zone(run):
    report, stored, pages = run
    seen = journey(report, "scan_one_zone")
    assert "account" not in seen["steps"]  # the scan skipped typing
    submission = stored["1000000011"]
    assert submission.readings[0].value == 5010 and submission.print_state == "printed"
    assert_slip_shows(slip_of(pages, submission), submission, "Номер")


def test_rollover_confirmed(run):
    report, stored, pages = run
    seen = journey(report, "rollover")
    assert "question" in seen["steps"]
    submission = stored["1000000029"]
    assert submission.confirmed == ("possible_rollover",) and submission.total == 80
    assert_slip_shows(slip_of(pages, submission), submission, "Номер")


def test_paper_out_mid_journey_shows_the_number_and_code_instead(run):
    report, stored, pages = run
    seen = journey(report, "paper_out")
    submission = stored["1000000037"]
    assert [r.value for r in submission.readings] == [104600, 88050, 61300]
    assert submission.print_state == "failed" and submission.print_reason
    assert not any(submission.txn_id in "".join(page["qr"] + page["lines"]) for page in pages)
    assert_result_shows_what_was_sent(seen, submission, "Код чека")
    assert seen["qr_shown"] and seen["qr_opens_check_page"]


def test_the_question_has_one_way_back_and_its_answer_where_the_next_step_is(run):
    report, _stored, _pages = run
    seen = journey(report, "rollover")
    assert seen["question_buttons"] == ["back", "next", "cancel"]
    assert seen["question_back"] == "Исправить"


def test_safety_nets_on_the_way_to_sending(run):
    report, stored, _pages = run
    seen = journey(report, "safety_nets")
    # «051» on an 8-digit meter is told as three digits of eight, not as 51 below the last one.
    assert seen["too_few_step"] == "reading"
    assert seen["too_few"].startswith("Введено 3 цифры из 8.") and "меньше" not in seen["too_few"]
    # The countdown names its unit, repeats what it covers, and the digits are still there after.
    card = seen["countdown_reading"]
    assert re.fullmatch(r"\d+ секунд[аы]?", card["seconds"]), card
    assert "051" in card["typed"] and "сотрётся" in card["explain"]
    assert seen["typed_after_countdown"] == "051"
    # «Отмена» on the review asks; «Нет» keeps everything; «Да» ends without storing.
    assert seen["discard_prompt"]["visible"] and "стереть" in seen["discard_prompt"]["heading"]
    assert seen["after_no"] == ["review", "01234600", False]
    assert seen["after_yes"] == ["attract", True]
    assert "1000000045" not in stored


def test_a_bill_scanned_mid_way_asks_before_switching(run):
    report, stored, _pages = run
    seen = journey(report, "scan_mid_way")
    assert seen["switch_prompt"]["visible"] and "1000000011" in seen["switch_prompt"]["message"]
    assert seen["after_no"] == ["reading", "1000000037", "1046"]
    assert seen["after_yes"] == ["meter", "1000000011"]


def test_a_second_submission_the_same_day_is_asked_and_then_the_countdown_calms(run):
    report, _stored, _pages = run
    seen = journey(report, "same_day")
    assert "уже передали" in seen["question"] and "5010" in seen["question"]
    assert seen["confirmed"] == ["already_submitted_today"]
    card = seen["countdown_result"]
    assert "ничего не потеряется" in card["explain"] and card["typed"] == ""
    assert seen["after_countdown"] == "result"
