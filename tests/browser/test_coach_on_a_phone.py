"""A coach's screens on a phone held in one hand: logging from her caseload in a few taps, the lifeline always on
screen, targets big enough for a thumb, one menu item marked current, no missing favicon."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from coaching.models import Encounter
from coaching.services import concern_add_note
from recovery_program.audit import Actor
from tests.browser.conftest import PHONE
from tests.browser.test_supervisor_enrolls import _log_in
from tests.factories import PatientFactory, log_encounter, on_caseload_of, share_concern

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# WCAG 2.5.5: a target at least 44 by 44 CSS pixels.
TARGET = 44
# What the header may take on a phone, so that her page starts near the top (it took 182 px before).
HEADER_MOST = 100


@pytest.fixture
def caseload(coach, supervisor):
    names = ["Odette Lark", "Pearl Quinn", "Ivy Marsh", "June Abbot", "Rae Colton", "Sage Dunmore", "Tess Ewing"]
    patients = [PatientFactory(program=coach.program, legal_name=name, clinical_provider=supervisor) for name in names]
    for patient in patients:
        on_caseload_of(patient, coach)
    return patients


class Thumb:
    """Taps the screen, and counts the taps: typing on the keyboard is not a tap; a pick list takes two."""

    def __init__(self) -> None:
        self.taps = 0

    def tap(self, target: Locator) -> None:
        self.taps += 1
        target.tap()

    def pick(self, target: Locator, label: str) -> None:
        self.taps += 2  # open the list, choose
        target.select_option(label=label)


def test_from_her_caseload_a_one_patient_encounter_takes_six_taps(live_server, page: Page, coach, caseload):
    _log_in(page, live_server.url, coach)
    page.get_by_role("link", name="My caseload", exact=True).click()
    thumb = Thumb()

    her_row = page.get_by_role("row").filter(has_text="Tess Ewing")
    thumb.tap(her_row.get_by_role("link", name="Log an encounter with her"))
    tess = page.get_by_role("checkbox", name="Tess Ewing")
    expect(tess).to_be_checked()  # chosen for her
    expect(tess).to_be_in_viewport()  # first in the list, though last by name
    thumb.pick(page.get_by_label("What you did"), "Family Resource Center")
    thumb.tap(page.get_by_label("30 minutes ago"))
    thumb.tap(page.get_by_label("What happened"))
    page.keyboard.type("Went with her for diapers and a car seat; she asked about WIC.")
    save = page.get_by_role("button", name="Save encounter")
    # Save is close under what she typed: the pick lists scroll in their own boxes.
    gap = save.bounding_box()["y"] - page.get_by_label("What happened").bounding_box()["y"]
    assert gap < PHONE["height"], gap
    thumb.tap(save)

    expect(page.get_by_text("Encounter saved.")).to_be_visible()
    assert thumb.taps <= 6, thumb.taps
    encounter = Encounter.objects.get()
    assert list(encounter.patients.all()) == [caseload[-1]]
    # It started half an hour before she saved (the browser's clock runs: allow a minute).
    started = timezone.now() - datetime.timedelta(minutes=30)
    assert abs(encounter.occurred_at - started) < datetime.timedelta(minutes=1)


def test_a_group_encounter_finds_names_by_typing(live_server, page: Page, coach, caseload):
    _log_in(page, live_server.url, coach)
    page.get_by_role("link", name="Log an encounter").first.click()
    page.get_by_label("Find a name").fill("pearl")
    expect(page.get_by_role("checkbox", name="Pearl Quinn")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Ivy Marsh")).to_be_hidden()
    page.get_by_role("checkbox", name="Pearl Quinn").check()
    page.get_by_label("Find a name").fill("ivy")
    page.get_by_role("checkbox", name="Ivy Marsh").check()
    expect(page.get_by_role("checkbox", name="Pearl Quinn")).to_be_visible()  # what is ticked stays in view
    page.get_by_label("What you did").select_option(label="Group treatment session")
    page.get_by_label("Another time").check()
    page.get_by_label("Start time").fill("00:00")
    page.get_by_label("What happened").fill("Group on sleep.")
    page.get_by_role("button", name="Save encounter").click()
    expect(page.get_by_text("Encounter saved.")).to_be_visible()
    assert {p.legal_name for p in Encounter.objects.get().patients.all()} == {"Pearl Quinn", "Ivy Marsh"}


def _coach_pages(coach, patient) -> dict[str, str]:
    encounter = log_encounter(coach, [patient])
    concern = share_concern(coach, patient)
    return {
        reverse("home"): "Home",
        reverse("patients:list"): "My caseload",
        reverse("patients:detail", args=[patient.pk]): "My caseload",
        reverse("coaching:encounter_new"): "Encounters",
        reverse("coaching:encounter_list"): "Encounters",
        reverse("coaching:encounter_detail", args=[encounter.pk]): "Encounters",
        reverse("coaching:concern_new"): "My concerns",
        reverse("coaching:concern_list"): "My concerns",
        reverse("coaching:concern_detail", args=[concern.pk]): "My concerns",
        reverse("supervision:reach"): "",
        reverse("supervision:queues"): "Supervision",
        reverse("staff:my_training"): "",
        reverse("password_change"): "",
    }


def _too_small(page: Page, selector: str) -> list[str]:
    return page.eval_on_selector_all(
        selector,
        f"""els => els.filter(e => e.offsetParent !== null).map(e => [e.textContent.trim(), e.getBoundingClientRect()])
            .filter(([t, r]) => r.width < {TARGET} - 0.5 || r.height < {TARGET} - 0.5)
            .map(([t, r]) => `${{t}} ${{Math.round(r.width)}}x${{Math.round(r.height)}}`)""",
    )


def test_every_coach_page_keeps_the_lifeline_on_screen_and_thumb_sized_targets(
    live_server, page: Page, coach, supervisor, caseload
):
    failed = []
    page.on("response", lambda response: response.status >= 400 and failed.append(response.url))
    page.on("console", lambda message: message.type == "error" and failed.append(message.text))
    _log_in(page, live_server.url, coach)
    heights = {}
    for path, current in _coach_pages(coach, caseload[0]).items():
        page.goto(live_server.url + path)
        bar = page.get_by_role("link", name="Reach a supervisor now")
        box = bar.bounding_box()
        assert 0 <= box["y"] <= PHONE["height"] - box["height"], path  # on screen, not scrolled to
        assert box["height"] >= TARGET, path
        # The menu is one row that scrolls sideways: the page's own item is on screen.
        if current:
            expect(page.locator('nav a[aria-current="page"]')).to_be_in_viewport(ratio=0.95)
        page.mouse.wheel(0, 5000)
        expect(bar).to_be_in_viewport()  # still there at the bottom of a long page
        # Nav links, the header's buttons and every button or button-styled link: 44 by 44 at least.
        assert _too_small(page, "header a, header button, .reach-bar, main button, main .button") == [], path
        marked = page.locator('nav a[aria-current="page"]')
        if current:
            expect(marked).to_have_count(1)
            expect(marked).to_have_text(current)
        else:
            expect(marked).to_have_count(0)
        heights[path] = page.locator("header").bounding_box()["height"]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
    assert max(heights.values()) <= HEADER_MOST, heights
    assert failed == []  # no missing favicon, nothing else missing, no error in the console


@pytest.mark.parametrize(
    ("who", "pages"),
    [
        ("supervisor", [("supervision:rota", "On call"), ("supervision:weeks", "Supervision")]),
        ("admin", [("staff:compliance", "Training"), ("staff:history", "Staff history"), ("staff:new", "Staff")]),
    ],
)
def test_one_menu_item_is_current_and_only_coaches_have_the_lifeline_bar(request, live_server, page: Page, who, pages):
    _log_in(page, live_server.url, request.getfixturevalue(who))
    for name, current in pages:
        page.goto(live_server.url + reverse(name))
        marked = page.locator('nav a[aria-current="page"]')
        expect(marked).to_have_count(1)
        expect(marked).to_have_text(current)
    expect(page.get_by_role("link", name="Reach a supervisor now")).to_have_count(0)


def test_the_log_form_fits_a_320_pixel_phone(live_server, page: Page, coach, caseload):
    page.set_viewport_size({"width": 320, "height": 640})
    _log_in(page, live_server.url, coach)
    page.goto(live_server.url + reverse("coaching:encounter_new"))
    kind = page.get_by_label("What you did")
    # The longest label, chosen, reads whole in the closed pick list.
    kind.select_option(label="Group treatment session")
    fits = kind.evaluate(
        """select => { const c = document.createElement("canvas").getContext("2d");
            c.font = getComputedStyle(select).font;
            const s = getComputedStyle(select);
            const room = select.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight) - 20;
            return Math.max(...Array.from(select.options, o => c.measureText(o.text).width)) <= room; }"""
    )
    assert fits
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def test_a_coach_sees_her_supervisors_answer_until_she_opens_it(live_server, page: Page, coach, supervisor, caseload):
    concern = share_concern(coach, caseload[0])
    concern_add_note(actor=Actor(supervisor, None), concern=concern, text="Call me after group today.")
    _log_in(page, live_server.url, coach)
    expect(page.get_by_role("status").filter(has_text="Your supervisor answered: 1 new note")).to_be_visible()
    page.get_by_role("link", name="Read it").click()
    expect(page.get_by_text("1 new note from your supervisor")).to_be_visible()
    page.get_by_role("link", name=concern.get_category_display()).click()
    expect(page.get_by_text("Call me after group today.")).to_be_visible()
    page.get_by_role("link", name="Home", exact=True).click()
    expect(page.get_by_text("Your supervisor answered")).to_have_count(0)


CONTRAST = """el => {
  const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const channel = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = c => { const [r, g, b] = rgb(c).map(channel); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const clear = e => /rgba\\(0, 0, 0, 0\\)|transparent/.test(getComputedStyle(e).backgroundColor);
  const style = getComputedStyle(el);
  // A ring drawn inside the element (negative offset) lies on its own background; otherwise on what is around it.
  let back = parseFloat(style.outlineOffset) < 0 ? el : el.parentElement;
  while (back && clear(back)) back = back.parentElement;
  const [a, b] = [lum(style.outlineColor), lum(getComputedStyle(back || document.body).backgroundColor)];
  return [style.outlineStyle, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05), el.textContent.trim().slice(0, 30)];
}"""


def test_the_focus_ring_stands_out_wherever_it_is(live_server, page: Page, coach, caseload):
    _log_in(page, live_server.url, coach)
    seen = []
    for _ in range(12):  # the skip link, the header, the lifeline bar, then the page
        page.keyboard.press("Tab")
        style, ratio, name = page.evaluate(f"({CONTRAST})(document.activeElement)")
        seen.append(name)
        assert style == "solid", name
        assert ratio >= 3, (name, ratio)  # WCAG 1.4.11: 3:1 against what is next to it
    assert "Reach a supervisor now" in seen
