"""The product's life in one browser test, as its users live it, on a 375 px phone: a family
registers → staff validate it → the guardian enrolls a child with a typical week → books
extra days and cancels one → an agent marks attendance → finance bills the month → the
guardian pays by card (the dummy PayFiP backend) → nothing is left to pay → the guardian
writes to the town hall and staff answer.

Each step's screen is kept in build/journey/ (ignored by git) and must have no axe
violation. The clock travels: booking happens before the deadlines, attendance on the day,
billing once the month is over.
"""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from eopayment import dummy
from playwright.sync_api import expect

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.activities.tests.factories import PeriodFactory, UnitFactory
from perisco.billing.models import Invoice, Tariff
from perisco.bookings.models import Booking
from perisco.bookings.states import State
from perisco.core.tests.browser import PHONE, assert_accessible, sign_in_browser
from perisco.core.tests.factories import OrganisationFactory, SchoolFactory
from perisco.inbox.models import Thread
from perisco.portal.tests.test_browser_invoices import fake_dummy_service

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PARIS = ZoneInfo("Europe/Paris")
MONDAY = datetime(2026, 11, 23, 7, 30, tzinfo=PARIS)  # registration, enrollment, bookings
THURSDAY_NOON = datetime(2026, 11, 26, 12, 15, tzinfo=PARIS)  # the canteen's attendance
BILLING_DAY = datetime(2026, 12, 2, 10, 0, tzinfo=PARIS)  # November is billed
SHOTS = settings.BASE_DIR / "build" / "journey"
PASSWORD = "Vacances-2027"


@pytest.fixture
def town(transactional_db, settings, live_server):
    """A town with one school and its canteen (Monday, Tuesday, Thursday, Friday; booked
    three working days ahead at 9 h; 3,00 € a meal), a manager, a facility agent and a
    finance officer."""
    # E-mail links and the card payment's return address lead to the live server.
    settings.PERISCO_BASE_URL = live_server.url
    org = OrganisationFactory(slug="demo", name="Ville de Démo")
    SchoolFactory(organisation=org, name="École Jules Ferry")
    period = PeriodFactory(activity__organisation=org, activity__name="Cantine")
    canteen = UnitFactory(activity=period.activity, name="Repas", capacity=30)
    Tariff.objects.create(organisation=org, unit=canteen, valid_from=date(2026, 9, 1), price=3)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("*.png"):
        old.unlink()
    return {
        "canteen": canteen,
        "manager": UserFactory(organisation=org, role=Role.MANAGER, first_name="Claire"),
        "agent": UserFactory(organisation=org, role=Role.AGENT, first_name="Karim"),
        "finance": UserFactory(organisation=org, role=Role.FINANCE, first_name="Sophie"),
    }


def guardian_signs_in(page, site: str) -> None:
    """Through the sign-in form, as Amina would (staff sessions are given to the browser)."""
    page.context.clear_cookies()
    page.goto(f"{site}/connexion/")
    page.get_by_label("Adresse e-mail").fill("amina@example.test")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


class Journey:
    """Numbers the steps; each one checked with axe and kept as a screenshot."""

    def __init__(self, page):
        self.page = page
        self.count = 0

    def step(self, name: str) -> None:
        self.page.wait_for_load_state()
        self.count += 1
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        self.page.screenshot(path=SHOTS / f"{self.count:02d}-{slug}.png", full_page=True)
        assert_accessible(self.page, PHONE)


def test_a_familys_first_month_from_registration_to_a_paid_invoice(page, live_server, town):
    page.set_viewport_size({"width": PHONE, "height": 800})
    journey = Journey(page)
    site = f"{live_server.url}/demo"
    seen: dict = {}
    page.route(f"{dummy.SERVICE_URL}**", fake_dummy_service(seen))

    with time_machine.travel(MONDAY, tick=False) as clock:
        # 1. The family registers itself, with its child, and confirms its address.
        page.goto(f"{site}/inscription/1/")
        journey.step("registration-guardian")
        page.get_by_label("Civilité").first.select_option("mme")
        page.locator("#id_g1-first_name").fill("Amina")
        page.locator("#id_g1-last_name").fill("Benali")
        page.locator("#id_g1-quality").select_option("mother")
        page.locator("#id_g1-email").fill("amina@example.test")
        page.locator("#id_g1-mobile_phone").fill("0612345678")
        page.get_by_role("button", name="Suivant").click()
        page.get_by_label("Adresse").fill("5 rue du Stade")
        page.get_by_label("Code postal").fill("64110")
        page.get_by_label("Ville").fill("Démo")
        page.get_by_role("button", name="Suivant").click()
        page.get_by_label("Prénom").fill("Yanis")
        page.get_by_label("Nom", exact=True).fill("Benali")
        page.get_by_label("Date de naissance").fill("2019-06-02")
        page.get_by_label("Sexe").select_option("M")
        page.get_by_label("École").select_option(label="École Jules Ferry")
        page.get_by_role("button", name="Suivant").click()
        page.get_by_label(re.compile("J'accepte le règlement")).check()
        journey.step("registration-rules")
        page.get_by_role("button", name="Envoyer mon inscription").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Consultez vos e-mails")
        journey.step("registration-check-your-emails")

        [confirm] = [m for m in mail.outbox if "/inscription/confirmation/" in m.body]
        page.goto(re.search(r"http://\S+", confirm.body).group(0))
        page.get_by_label("Nouveau mot de passe", exact=True).fill(PASSWORD)
        page.get_by_label("Confirmez le nouveau mot de passe").fill(PASSWORD)
        journey.step("registration-password")
        page.get_by_role("button", name="Envoyer mon inscription").click()
        expect(page).to_have_url(f"{site}/famille/")
        expect(page.get_by_text("en attente de validation").first).to_be_visible()
        journey.step("family-home-awaiting-validation")

        # 2. The childhood service validates the registration.
        sign_in_browser(page, live_server, town["manager"])
        page.goto(f"{site}/gestion/demandes/")
        page.get_by_role("link", name="Inscription d'une nouvelle famille").click()
        journey.step("staff-registration-request")
        page.get_by_role("button", name="Accepter et appliquer").click()
        expect(page.get_by_role("status")).to_contain_text("Demande acceptée")
        journey.step("staff-registration-accepted")

        # 3. The guardian signs in, certifies the file and enrolls Yanis on Mondays.
        guardian_signs_in(page, site)
        expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour Amina")
        journey.step("family-home-validated")
        page.get_by_role("link", name="Vérifier et certifier mon dossier").click()
        for label in (
            "Je certifie que les informations de mon dossier famille sont exactes et à jour.",
            "J'ai lu et j'accepte le règlement des services enfance.",
            "J'ai pris connaissance de l'utilisation des données personnelles de ma famille "
            "par les services enfance.",
        ):
            page.get_by_label(label).check()
        journey.step("family-certification")
        page.get_by_role("button", name="Certifier").click()
        expect(page.get_by_role("status")).to_contain_text("votre dossier est certifié")

        page.goto(f"{site}/famille/inscriptions/nouvelle/")
        page.get_by_label("Lundi – Repas").check()
        journey.step("family-enrollment-typical-week")
        page.get_by_role("button", name="Envoyer la demande d'inscription").click()
        expect(page.get_by_role("status")).to_contain_text(
            "Votre demande d'inscription est envoyée"
        )

        sign_in_browser(page, live_server, town["manager"])
        page.goto(f"{site}/gestion/inscriptions/")
        page.get_by_role("link", name="Yanis Benali").click()
        journey.step("staff-enrollment")
        page.get_by_role("button", name="Valider l'inscription").click()
        expect(page.get_by_role("status")).to_contain_text("Inscription validée")
        journey.step("staff-enrollment-validated")

        # 4. In the calendar: two extra days this week, and next Monday cancelled.
        guardian_signs_in(page, site)
        page.goto(f"{site}/famille/calendrier/?mois=2026-11")
        page.get_by_label(re.compile(r"^jeudi 26 novembre, Repas : non réservé")).first.click()
        page.get_by_label(re.compile(r"^vendredi 27 novembre, Repas : non réservé")).first.click()
        page.get_by_label(re.compile(r"^lundi 30 novembre, Repas : réservé")).first.click()
        journey.step("family-calendar-ticked")
        with page.expect_response(re.compile(r"/calendrier/")):
            page.get_by_role("button", name="Enregistrer").click()
        expect(page.locator(".report")).to_contain_text("2 jours réservés, 1 jour annulé")
        journey.step("family-calendar-saved")
        booked = dict(
            Booking.objects.filter(day__month=11).values_list("day", "state").order_by("day")
        )
        assert booked == {
            date(2026, 11, 26): State.CONFIRMED,
            date(2026, 11, 27): State.CONFIRMED,
            date(2026, 11, 30): State.CANCELLED,
        }

        # 5. Thursday at noon, the agent marks Yanis present at the canteen.
        clock.move_to(THURSDAY_NOON)
        sign_in_browser(page, live_server, town["agent"])
        page.goto(f"{site}/gestion/pointage/")
        page.get_by_role("link", name=re.compile("Cantine")).first.click()
        journey.step("agent-attendance-sheet")
        page.get_by_role("button", name="Présent : Yanis Benali").click()
        expect(page.locator("#queue-status")).to_have_text("Tous les pointages sont envoyés.")
        journey.step("agent-attendance-marked")

        # 6. In December, finance drafts and issues November's invoices.
        clock.move_to(BILLING_DAY)
        sign_in_browser(page, live_server, town["finance"])
        page.goto(f"{site}/gestion/facturation/")
        journey.step("finance-billing-runs")
        page.get_by_role("button", name="Préparer les brouillons").click()
        expect(page).to_have_url(re.compile(r"/gestion/facturation/\d+/$"))
        journey.step("finance-drafts")
        page.get_by_role("button", name="Émettre 1 facture").click()
        journey.step("finance-issued")
        invoice = Invoice.objects.get(state=Invoice.State.ISSUED)
        assert invoice.total == 6  # Thursday and Friday at 3,00 €; Monday was cancelled

        # 7. The guardian pays by card from the home page.
        guardian_signs_in(page, site)
        expect(page.get_by_text("Total à payer : 6,00 €")).to_be_visible()
        journey.step("family-home-invoice-to-pay")
        page.locator('a[href$="/demo/famille/factures/#a-payer"]').click()
        journey.step("family-invoices-to-pay")
        page.get_by_role("button", name="Payer par carte (6,00 €)").click()
        expect(page.get_by_role("heading", name="Paiement factice")).to_be_visible()
        assert seen["amount"] == "6.00"
        page.get_by_role("link", name="Payer").click()
        expect(page.locator(".notice--success[role=status]")).to_contain_text("6,00 €")
        journey.step("family-payment-received")

        # 8. Nothing is left to pay: the home page says no more, the invoice is paid.
        page.goto(f"{site}/famille/")
        expect(page.get_by_text("Total à payer")).to_have_count(0)
        page.goto(f"{site}/famille/factures/")
        expect(page.get_by_text("Rien à payer : toutes vos factures sont payées.")).to_be_visible()
        expect(page.get_by_text(invoice.number).first).to_be_visible()
        expect(page.get_by_text("Payée").first).to_be_visible()
        journey.step("family-invoices-paid")

        # 9. The guardian writes to the town hall; the service answers.
        page.goto(f"{site}/famille/messages/")
        page.get_by_role("link", name="Écrire au service enfance").click()
        page.get_by_label("Objet").fill("Attestation de paiement")
        page.get_by_label("Au sujet d'un enfant (facultatif)").select_option(index=1)
        page.get_by_label("Message").fill("Bonjour, pouvez-vous m'envoyer une attestation ?")
        journey.step("family-writes")
        page.get_by_role("button", name="Envoyer").click()
        expect(page.get_by_role("status")).to_contain_text("Votre message est envoyé")
        journey.step("family-message-sent")

        sign_in_browser(page, live_server, town["manager"])
        page.goto(f"{site}/gestion/messages/")
        journey.step("staff-inbox")
        page.get_by_role("link", name="Attestation de paiement").click()
        page.get_by_label("Votre réponse").fill(
            "Bonjour, nous vous l’envoyons par courrier cette semaine."
        )
        page.get_by_role("button", name="Envoyer la réponse").click()
        expect(page.get_by_role("status")).to_contain_text("dans la messagerie de la famille")
        journey.step("staff-answered")
        assert Thread.objects.get().status == "answered"

        guardian_signs_in(page, site)
        expect(page.get_by_text("Vous avez 1 nouveau message.")).to_be_visible()
        page.get_by_role("link", name="Lire mes messages").click()
        page.get_by_role("link", name="Attestation de paiement").click()
        expect(page.get_by_text("nous vous l’envoyons par courrier")).to_be_visible()
        journey.step("family-reads-the-answer")
