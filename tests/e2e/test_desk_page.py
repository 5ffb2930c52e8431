"""The desk page in a real headless Chromium (the system's, driven by Playwright) against a real
server over the demo database, at 19:30 in Brussels: tonight's comedy evening (20:00) is open
for check-in. Staff type the card numbers as a scanner would: digits, then Enter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from playwright.sync_api import (
    Browser,
    Locator,
    Page,
    Playwright,
    Request,
    Route,
    ViewportSize,
    expect,
    sync_playwright,
)

from tests.api.conftest import SECRETS, Clock
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"no system Chromium at {CHROMIUM} (Debian: apt-get install chromium chromium-driver)",
)

DESK = "demo-desk-maasmechelen"
EVENT = "evt-cc-maasmechelen-comedy"
ACTIVE = "6451620999770"  # Giuseppina, kansentarief, 24 points
EXPIRED = "7130536448614"  # Agnieszka, status ended 90 days ago
BLOCKED = "9609790229107"  # card reported lost
GROUP = "7247908007354"  # group pass: 20 reduced-rate tickets a year
DESKTOP: ViewportSize = {"width": 1024, "height": 768}
TABLET: ViewportSize = {"width": 768, "height": 1024}

expect.set_options(timeout=10_000)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    # The system Chromium: Playwright never downloads a browser of its own here.
    instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield instance
    instance.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, locale="nl-BE", timezone_id="Europe/Brussels")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


# --- Steps -----------------------------------------------------------------------------------


def sign_in(page: Page, server: str, *, secret: str = SECRETS["desk"]) -> None:
    page.goto(f"{server}/desk")
    page.get_by_label("Naam van de balie (client id)").fill(DESK)
    page.get_by_label("Geheim").fill(secret)
    page.get_by_role("button", name="Aanmelden").click()


def open_desk(page: Page, server: str, *, price: str = "12,50") -> None:
    sign_in(page, server)
    expect(page.locator("#event-view")).to_be_visible()
    page.get_by_label("Comedyavond: Nieuwe Stemmen uit het Maasland").check()
    page.get_by_label("Gewone prijs van een ticket, in euro").fill(price)
    page.get_by_role("button", name="Start de balie").click()
    expect(page.locator("#desk-view")).to_be_visible()
    expect(page.locator("#scan")).to_be_focused()


def scan(page: Page, number: str) -> None:
    """Type into whatever has the focus, as a USB scanner does: the page must send it to the
    scan field."""
    page.keyboard.type(number)
    page.keyboard.press("Enter")


def scanned(page: Page, first_name: str) -> None:
    expect(page.locator(".holder-name")).to_have_text(first_name)


def points(page: Page) -> Locator:
    return page.locator('#holder [data-fact="points"] dd')


def api_get(server: str, path: str) -> Any:
    token = httpx.post(
        f"{server}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": DESK,
            "client_secret": SECRETS["desk"],
        },
    ).json()["access_token"]
    response = httpx.get(f"{server}{path}", headers={"Authorization": f"Bearer {token}"})
    response.raise_for_status()
    return response.json()


def sales(server: str) -> int:
    total: int = api_get(server, f"/ticket-sales?eventId={EVENT}")["totalItems"]
    return total


def posts_to(page: Page, path: str) -> list[Request]:
    """Every POST the page sends to ``path``, as it is sent."""
    seen: list[Request] = []
    page.on(
        "request",
        lambda request: (
            seen.append(request)
            if request.method == "POST" and request.url.split("?")[0].endswith(path)
            else None
        ),
    )
    return seen


# --- Tests -----------------------------------------------------------------------------------


class TestSignIn:
    def test_a_desk_signs_in_and_chooses_one_of_todays_events(
        self, page: Page, server: str, screenshots: Path
    ) -> None:
        page.goto(f"{server}/desk")
        expect(page.get_by_label("Naam van de balie (client id)")).to_be_focused()
        page.screenshot(path=screenshots / "1-sign-in.png")
        sign_in(page, server)
        expect(page.locator("#event-legend")).to_have_text(
            "Vandaag, 23/11/2026, bij Cultuurcentrum Maasmechelen"
        )
        events = page.locator("#event-list label")
        expect(events).to_have_count(1)  # tomorrow's family show is not on today's list
        expect(events).to_contain_text("Comedyavond")
        expect(events).to_contain_text("20:00 – 22:30")
        expect(page.locator("#where")).to_have_text("Ticketbalie Cultuurcentrum Maasmechelen")

    def test_a_wrong_secret_is_told_in_a_plain_sentence(self, page: Page, server: str) -> None:
        sign_in(page, server, secret="not-the-secret")
        expect(page.locator("#signin-alert")).to_have_text(
            "De naam van de balie of het geheim klopt niet."
        )
        expect(page.locator("#event-view")).to_be_hidden()

    def test_the_token_is_kept_in_session_storage_never_in_a_cookie(
        self, page: Page, server: str
    ) -> None:
        open_desk(page, server)
        assert page.context.cookies() == []
        assert page.evaluate("sessionStorage.getItem('desk.token')")
        page.reload()  # the same tab keeps working after a reload, on the same event
        expect(page.locator("#desk-title")).to_have_text(
            "Comedyavond: Nieuwe Stemmen uit het Maasland"
        )
        scan(page, ACTIVE)
        scanned(page, "Giuseppina")


class TestScanSellUndo:
    def test_the_kansentarief_is_shown_sold_and_the_sale_undone(
        self, page: Page, server: str, screenshots: Path
    ) -> None:
        open_desk(page, server)
        scan(page, ACTIVE)
        scanned(page, "Giuseppina")
        social = page.locator(".tariff-social")
        expect(social).to_contain_text("Kansentarief")
        expect(social.locator(".amount")).to_have_text("€ 2,50")
        expect(social).to_contain_text("in plaats van € 12,50")
        expect(page.locator(".holder")).to_contain_text("Kansentarief tot 11/06/2027")
        expect(points(page)).to_have_text("24")
        page.screenshot(path=screenshots / "2-kansentarief.png")
        page.locator(".holder-name").click()  # a click on the page leaves the focus where it is
        expect(page.locator("#scan")).to_be_focused()

        social.get_by_role("button", name="Verkoop aan € 2,50").click()
        expect(page.locator("#desk-done")).to_have_text("Verkocht aan Giuseppina. Ontvang € 2,50.")
        # The panel stays as it was, marked sold: no "no reduced rate" right after the sale.
        expect(social.locator(".amount")).to_have_text("€ 2,50")
        expect(social.get_by_role("button", name="Verkocht")).to_be_disabled()
        expect(page.locator("#undo-what")).to_contain_text("verkoop UiTPAS Kansentarief")
        expect(page.locator("#scan")).to_be_focused()
        assert sales(server) == 1
        page.screenshot(path=screenshots / "4-after-sale.png")

        page.get_by_role("button", name="Laatste actie ongedaan maken").click()
        expect(page.locator("#desk-done")).to_contain_text("Ongedaan gemaakt: verkoop")
        expect(social.get_by_role("button", name="Verkoop aan € 2,50")).to_be_enabled()
        expect(page.locator("#undo")).to_be_disabled()
        assert sales(server) == 0

    def test_check_in_earns_a_point_and_undo_takes_it_back(self, page: Page, server: str) -> None:
        open_desk(page, server)
        scan(page, ACTIVE)
        scanned(page, "Giuseppina")
        page.get_by_role("button", name="Inchecken (+1 punt)").click()
        expect(page.locator("#desk-done")).to_have_text("Giuseppina is ingecheckt: +1 punt.")
        expect(points(page)).to_have_text("25")
        expect(page.locator("#checkin-why")).to_be_visible()  # once a day: not again
        checkins = api_get(server, f"/passes?identifier={ACTIVE}")
        assert checkins["points"] == 25

        page.keyboard.press("F8")
        expect(page.locator("#desk-done")).to_contain_text("Ongedaan gemaakt: check-in")
        expect(points(page)).to_have_text("24")
        expect(page.get_by_role("button", name="Inchecken (+1 punt)")).to_be_enabled()

    def test_a_reward_is_redeemed_after_a_confirmation_with_the_points(
        self, page: Page, server: str, screenshots: Path
    ) -> None:
        open_desk(page, server)
        scan(page, ACTIVE)
        scanned(page, "Giuseppina")
        page.get_by_role(
            "button", name="Omruilen: Gratis ticket voor een voorstelling naar keuze (20 punten)"
        ).click()
        dialog = page.locator("#confirm")
        expect(dialog).to_be_visible()
        expect(page.locator("#confirm-before")).to_have_text("24")
        expect(page.locator("#confirm-after")).to_have_text("4")
        expect(page.locator("#confirm-ok")).to_be_focused()
        page.screenshot(path=screenshots / "5-redeem.png")

        page.keyboard.press("Enter")
        expect(dialog).to_be_hidden()
        expect(page.locator("#desk-done")).to_have_text(
            "Omgeruild: Gratis ticket voor een voorstelling naar keuze. Nog 4 punten."
        )
        expect(points(page)).to_have_text("4")
        redeemed = api_get(server, f"/rewards/redeemed?uitpasNumber={ACTIVE}")
        assert redeemed["totalItems"] == 1

    def test_cancelling_the_confirmation_redeems_nothing(self, page: Page, server: str) -> None:
        open_desk(page, server)
        scan(page, ACTIVE)
        scanned(page, "Giuseppina")
        page.get_by_role(
            "button", name="Omruilen: Gratis filmticket voor de filmnamiddag (5 punten)"
        ).click()
        page.get_by_role("button", name="Annuleren").click()
        expect(page.locator("#confirm")).to_be_hidden()
        expect(page.locator("#scan")).to_be_focused()
        assert api_get(server, f"/rewards/redeemed?uitpasNumber={ACTIVE}")["totalItems"] == 0

    def test_everything_works_with_the_keyboard_alone(self, page: Page, server: str) -> None:
        page.goto(f"{server}/desk")
        page.keyboard.type(DESK)
        page.keyboard.press("Tab")
        page.keyboard.type(SECRETS["desk"])
        page.keyboard.press("Enter")
        expect(page.locator("#event-view")).to_be_visible()
        expect(page.get_by_label("Comedyavond: Nieuwe Stemmen uit het Maasland")).to_be_focused()
        page.keyboard.press("Tab")
        expect(page.get_by_label("Gewone prijs van een ticket, in euro")).to_be_focused()
        page.keyboard.type("12,50")
        page.keyboard.press("Enter")
        expect(page.locator("#scan")).to_be_focused()
        scan(page, ACTIVE)
        scanned(page, "Giuseppina")
        page.keyboard.press("F2")
        expect(page.locator("#desk-done")).to_contain_text("Verkocht aan Giuseppina")
        page.keyboard.press("F4")
        expect(page.locator("#desk-done")).to_contain_text("ingecheckt")
        page.keyboard.press("Escape")
        expect(page.locator("#result")).to_be_hidden()
        assert sales(server) == 1


class TestMessages:
    def test_a_blocked_card_is_told_in_a_plain_sentence(self, page: Page, server: str) -> None:
        open_desk(page, server)
        scan(page, BLOCKED)
        expect(page.locator("#desk-alert")).to_have_text(
            "Deze kaart is geblokkeerd (verloren of gestolen gemeld). "
            "Vraag naar de nieuwe kaart van de pashouder."
        )
        expect(page.locator("#result")).to_be_hidden()
        expect(page.locator("#scan")).to_be_focused()

    def test_an_expired_status_shows_why_there_is_no_reduced_rate(
        self, page: Page, server: str, screenshots: Path
    ) -> None:
        open_desk(page, server)
        page.get_by_role("button", name="Zoek").focus()
        scan(page, EXPIRED)  # a scanner types wherever the focus is: the digits reach the field
        scanned(page, "Agnieszka")
        panel = page.locator("#no-reduced-rate")
        expect(panel).to_contain_text("Geen kansentarief")
        expect(panel.locator(".amount")).to_have_text("€ 12,50")
        expect(page.locator("#why-text")).to_have_text(
            "Je kansentarief is verlopen op 25/08/2026. Contacteer je UiTPAS-balie."
        )
        expect(page.locator(".sell")).to_have_count(0)
        page.screenshot(path=screenshots / "3-no-reduced-rate.png")

    def test_a_wrong_check_digit_is_refused_before_anything_is_sent(
        self, page: Page, server: str
    ) -> None:
        open_desk(page, server)
        looked_up: list[str] = []
        page.on("request", lambda r: looked_up.append(r.url) if "/passes" in r.url else None)
        scan(page, ACTIVE[:-1] + "1")
        expect(page.locator("#desk-alert")).to_contain_text("het controlecijfer is fout")
        scan(page, "12345")
        expect(page.locator("#desk-alert")).to_have_text(
            "Een kaartnummer heeft 13 cijfers; er zijn er 5 ingegeven."
        )
        assert looked_up == []

    def test_french_and_english_are_one_choice_away(self, page: Page, server: str) -> None:
        open_desk(page, server)
        page.get_by_label("Taal").select_option("fr")
        expect(page.get_by_label("Numéro de carte")).to_be_visible()
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        scan(page, EXPIRED)
        expect(page.locator("#why-text")).to_have_text(
            "Ton tarif social a expiré le 25/08/2026. Contacte ton point UiTPAS."
        )
        expect(page.locator("#no-reduced-rate .amount")).to_have_text("12,50 €")
        page.get_by_label("Langue").select_option("en")
        expect(page.locator("#no-reduced-rate")).to_contain_text("Charge the regular price.")
        page.reload()  # the choice is remembered
        expect(page.get_by_label("Language")).to_have_value("en")

    def test_a_network_failure_is_told_in_a_plain_sentence(self, page: Page, server: str) -> None:
        open_desk(page, server)
        page.route("**/passes?*", lambda route: route.abort("internetdisconnected"))
        scan(page, ACTIVE)
        expect(page.locator("#desk-alert")).to_contain_text("Er is geen verbinding met de server.")
        page.unroute("**/passes?*")
        scan(page, ACTIVE)
        scanned(page, "Giuseppina")

    def test_an_expired_sign_in_asks_to_sign_in_again_and_carries_on(
        self, page: Page, server: str, clock: Clock
    ) -> None:
        open_desk(page, server)
        clock.now += timedelta(minutes=16)  # tokens live 15 minutes
        scan(page, ACTIVE)
        expect(page.locator("#signin-view")).to_be_visible()
        expect(page.locator("#signin-reason")).to_have_text(
            "Je aanmelding is verlopen. Meld je opnieuw aan om verder te werken."
        )
        expect(page.get_by_label("Geheim")).to_be_focused()  # the desk name is still there
        page.keyboard.type(SECRETS["desk"])
        page.keyboard.press("Enter")
        expect(page.locator("#desk-view")).to_be_visible()
        scan(page, ACTIVE)
        scanned(page, "Giuseppina")


class TestNothingIsSoldTwice:
    def test_a_double_press_sells_once(self, page: Page, server: str) -> None:
        open_desk(page, server)
        scan(page, GROUP)  # 20 tickets left: only the page can stop a second sale
        scanned(page, "Groepspas vzw Ons Huis Maasland")
        sent = posts_to(page, "/ticket-sales")
        page.locator(".sell").dblclick()
        page.keyboard.press("F2")
        page.keyboard.press("F2")
        expect(page.locator("#desk-done")).to_contain_text("Verkocht aan Groepspas")
        page.wait_for_timeout(300)  # a late second request would be on its way by now
        assert len(sent) == 1
        assert sales(server) == 1

    def test_a_sale_whose_answer_was_lost_is_not_sold_again(self, page: Page, server: str) -> None:
        open_desk(page, server)
        scan(page, GROUP)
        scanned(page, "Groepspas vzw Ons Huis Maasland")
        keys: list[str | None] = []

        def lose_first_answer(route: Route) -> None:
            keys.append(route.request.headers.get("idempotency-key"))
            if len(keys) == 1:
                route.fetch()  # the server sells…
                route.abort("connectionreset")  # …and the answer never arrives
            else:
                route.continue_()

        page.route("**/ticket-sales", lose_first_answer)
        page.locator(".sell").click()
        expect(page.locator("#desk-alert")).to_contain_text("Er is geen verbinding")
        assert sales(server) == 1
        page.locator(".sell").click()  # staff try again
        expect(page.locator("#desk-done")).to_contain_text("Verkocht aan Groepspas")
        assert len(keys) == 2
        assert keys[0] == keys[1]
        assert keys[0]
        assert sales(server) == 1


class TestLayoutAndAccessibility:
    @pytest.mark.parametrize("viewport", [DESKTOP, TABLET], ids=["1024x768", "tablet"])
    def test_the_price_and_the_sale_fit_on_the_screen(
        self, page: Page, server: str, screenshots: Path, viewport: ViewportSize
    ) -> None:
        page.set_viewport_size(viewport)
        open_desk(page, server)
        scan(page, ACTIVE)
        scanned(page, "Giuseppina")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], "the page scrolls sideways"
        for selector in (".tariff-social .amount", ".sell", "#scan", "#undo"):
            box = page.locator(selector).bounding_box()
            assert box is not None
            assert box["y"] + box["height"] <= viewport["height"], f"{selector} is off screen"
        if viewport == TABLET:
            page.screenshot(path=screenshots / "6-tablet.png")

    def test_every_control_has_a_name_and_the_focus_is_visible(
        self, page: Page, server: str
    ) -> None:
        open_desk(page, server)
        scan(page, ACTIVE)
        scanned(page, "Giuseppina")
        unnamed = page.evaluate(
            """() => [...document.querySelectorAll('input:not([type=hidden]), select, button')]
                .filter((el) => el.offsetParent !== null)
                .filter((el) => el.labels ? el.labels.length === 0 && !el.getAttribute('aria-label')
                                            && !el.textContent.trim() : false)
                .map((el) => el.outerHTML)"""
        )
        assert unnamed == []
        page.keyboard.press("Tab")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "solid"

    def test_the_page_refuses_to_be_framed_and_runs_only_its_own_script(self, server: str) -> None:
        response = httpx.get(f"{server}/desk")
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert response.headers["cache-control"] == "no-store"
        assert httpx.get(f"{server}/desk/static/../app.py").status_code == 404
