import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.conftest import sign_in
from perisco.core.models import AuditEntry
from perisco.families.tests.factories import ChildFactory, FamilyFactory, GuardianFactory


@pytest.fixture
def admin(client, organisation):
    user = UserFactory(organisation=organisation, role=Role.ORG_ADMIN, first_name="Nicolas")
    sign_in(client, user)
    client.cookies["perisco_language"] = "en"
    return user


def test_the_dashboard_counts_this_organisation_only(
    client, admin, organisation, other_organisation
):
    family = FamilyFactory(organisation=organisation)
    ChildFactory(organisation=organisation, families=[family])
    ChildFactory(
        organisation=other_organisation, families=[FamilyFactory(organisation=other_organisation)]
    )
    response = client.get("/demo/gestion/")
    figures = response.context["figures"]
    assert (figures["families"], figures["children"]) == (1, 1)
    assert "Hello Nicolas" in response.text


def test_the_staff_menu_shows_only_what_the_role_may_open(client, organisation):
    sign_in(client, UserFactory(organisation=organisation, role=Role.AGENT))
    html = client.get("/demo/gestion/").text
    assert "/demo/gestion/personnel/" not in html
    assert "/demo/gestion/parametres/" not in html
    sign_in(client, UserFactory(organisation=organisation, role=Role.ORG_ADMIN))
    html = client.get("/demo/gestion/").text
    assert "/demo/gestion/personnel/" in html and "/demo/gestion/parametres/" in html


def test_roles_are_changed_from_the_staff_page(client, admin, organisation):
    agent = UserFactory(organisation=organisation, role=Role.AGENT)
    response = client.post(f"/demo/gestion/personnel/{agent.pk}/role/", {"role": Role.FINANCE})
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.role == Role.FINANCE


def test_a_role_that_does_not_exist_is_refused(client, admin, organisation):
    agent = UserFactory(organisation=organisation, role=Role.AGENT)
    response = client.post(
        f"/demo/gestion/personnel/{agent.pk}/role/", {"role": Role.PLATFORM_ADMIN}, follow=True
    )
    assert "Choose a role from the list" in response.text
    agent.refresh_from_db()
    assert agent.role == Role.AGENT


def test_deactivating_then_reactivating_a_colleague(client, admin, organisation):
    agent = UserFactory(organisation=organisation, role=Role.AGENT)
    client.post(f"/demo/gestion/personnel/{agent.pk}/actif/", {"active": "0"})
    agent.refresh_from_db()
    assert not agent.is_active
    client.post(f"/demo/gestion/personnel/{agent.pk}/actif/", {"active": "1"})
    agent.refresh_from_db()
    assert agent.is_active


def test_a_guardian_account_cannot_be_managed_from_the_staff_page(client, admin, organisation):
    guardian = UserFactory(organisation=organisation, role=Role.GUARDIAN)
    assert (
        client.post(f"/demo/gestion/personnel/{guardian.pk}/actif/", {"active": "0"}).status_code
        == 404
    )


def test_guardian_accounts_search_by_name_email_or_family_number(client, admin, organisation):
    martin = GuardianFactory(
        family=FamilyFactory(organisation=organisation, number="000042"),
        last_name="Martin",
        email="lea.martin@example.test",
    )
    GuardianFactory(family=FamilyFactory(organisation=organisation), last_name="Durand")
    for query in ("martin", "LEA.MARTIN", "000042"):
        page = client.get("/demo/gestion/comptes-familles/", {"q": query}).context["page"]
        assert list(page) == [martin]


def test_the_htmx_search_returns_only_the_results(client, admin, organisation):
    GuardianFactory(family=FamilyFactory(organisation=organisation), last_name="Martin")
    response = client.get(
        "/demo/gestion/comptes-familles/", {"q": "Martin"}, HTTP_HX_REQUEST="true"
    )
    assert "<html" not in response.text
    assert "Martin" in response.text


@pytest.mark.parametrize("families", [3, 30])
def test_guardian_accounts_need_the_same_queries_whatever_the_number_of_families(
    client, admin, organisation, families, django_assert_max_num_queries
):
    for _ in range(families):
        guardian = GuardianFactory(family=FamilyFactory(organisation=organisation))
        guardian.user = UserFactory(
            organisation=organisation, role=Role.GUARDIAN, email=guardian.email
        )
        guardian.save()
    with CaptureQueriesContext(connection) as queries:
        client.get("/demo/gestion/comptes-familles/")
    assert len(queries) <= 12


def test_settings_are_saved_and_audited(client, admin, organisation):
    data = {
        "name": "Ville de Démo",
        "email": "enfance@demo.test",
        "password_min_length": 10,
        "password_require_upper": "on",
        "password_require_lower": "on",
        "password_require_digit": "on",
        "school_holiday_zone": "B",
        "public_holiday_region": "alsace_moselle",
        "reminder_notice_hours": 72,
        "invoice_due_days": 15,
        "publication_director": "Dominique Lefèvre, maire",
    }
    response = client.post("/demo/gestion/parametres/", data)
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert (organisation.password_min_length, organisation.school_holiday_zone) == (10, "B")
    assert organisation.reminder_notice_hours == 72
    assert "Dominique Lefèvre, maire" in client.get("/demo/mentions-legales/").text
    entry = AuditEntry.objects.get(action="organisation.settings_changed")
    assert entry.data["school_holiday_zone"] == {"before": "A", "after": "B"}
    assert "Settings changed" in client.get("/demo/gestion/journal/").text


@pytest.mark.parametrize(
    ("field", "value"), [("password_min_length", 7), ("school_holiday_zone", "D"), ("name", "")]
)
def test_bad_settings_are_refused_and_nothing_is_saved(client, admin, organisation, field, value):
    data = {
        "name": "Ville de Démo",
        "password_min_length": 8,
        "school_holiday_zone": "A",
        "public_holiday_region": "metropole",
        field: value,
    }
    response = client.post("/demo/gestion/parametres/", data)
    assert response.status_code == 200
    assert "Please correct the fields marked below" in response.text
    organisation.refresh_from_db()
    assert organisation.password_min_length == 8 and organisation.name == "Ville de Démo"
    assert not AuditEntry.objects.exists()


def test_the_activity_log_shows_this_organisation_only(
    client, admin, organisation, other_organisation
):
    from perisco.core.audit import audit_log

    audit_log(organisation=other_organisation, actor=None, action="user.invited")
    audit_log(organisation=organisation, actor=admin, action="user.role_changed")
    entries = list(client.get("/demo/gestion/journal/").context["page"])
    assert [e.action for e in entries] == ["user.role_changed"]


def test_the_activity_log_shows_sentences_not_codes(client, organisation, admin):
    from perisco.core.audit import audit_log
    from perisco.families.tests.factories import FamilyFactory

    family = FamilyFactory(organisation=organisation, name="MARTIN", number="000042")
    audit_log(organisation=organisation, actor=admin, action="request.refused", target=family)
    audit_log(organisation=organisation, actor=admin, action="catalogue.created")
    audit_log(
        organisation=organisation,
        actor=admin,
        action="catalogue.deleted",
        data={"object": "Accueil du soir"},
    )
    page = client.get("/demo/gestion/journal/").text
    assert "request.refused" not in page and "catalogue.created" not in page
    assert "Request refused · Family: MARTIN (000042)" in page
    assert "Added to the activity catalogue" in page
    assert "Removed from the activity catalogue · Accueil du soir" in page


def test_the_labels_are_translated(client, organisation, admin):
    from perisco.core.audit import audit_log

    audit_log(organisation=organisation, actor=admin, action="request.refused")
    client.cookies["perisco_language"] = "fr"
    assert "Demande refusée" in client.get("/demo/gestion/journal/").text


def test_the_settings_page_shows_every_setting_the_service_accepts():
    from perisco.backoffice.forms import OrganisationSettingsForm
    from perisco.core.services import SETTINGS_FIELDS

    grouped = [name for _legend, names in OrganisationSettingsForm.FIELDSETS for name in names]
    # The logo is not a setting the service copies: it has its own argument.
    assert sorted(grouped) == sorted([*SETTINGS_FIELDS, "logo", "remove_logo"])
    billing = next(n for _legend, n in OrganisationSettingsForm.FIELDSETS if "sepa_iban" in n)
    assert billing == (
        "siret",
        "invoice_due_days",
        "payment_instructions",
        "unpaid_block_threshold",
        "payfip_client_id",
        "sepa_creditor_id",
        "sepa_iban",
        "sepa_bic",
    )


BILLING_SETTINGS = {
    "name": "Ville de Démo",
    "password_min_length": 8,
    "school_holiday_zone": "A",
    "public_holiday_region": "metropole",
    "reminder_notice_hours": 48,
    "invoice_due_days": 20,
    "siret": "",
    "payment_instructions": "Chèques à l'ordre du Trésor public.",
    "unpaid_block_threshold": "150.50",
    "payfip_client_id": "012345",
    "sepa_creditor_id": "fr72 zzz 123456",
    "sepa_iban": "FR76 3000 6000 0112 3456 7890 189",
    "sepa_bic": "agri frpp",
}


def test_billing_settings_are_saved_compact_and_audited(client, admin, organisation):
    from decimal import Decimal

    response = client.post("/demo/gestion/parametres/", BILLING_SETTINGS)

    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.invoice_due_days == 20
    assert organisation.unpaid_block_threshold == Decimal("150.50")
    assert organisation.payfip_client_id == "012345"
    assert (organisation.sepa_creditor_id, organisation.sepa_iban, organisation.sepa_bic) == (
        "FR72ZZZ123456",
        "FR7630006000011234567890189",
        "AGRIFRPP",
    )
    assert organisation.payment_instructions == "Chèques à l'ordre du Trésor public."
    entry = AuditEntry.objects.get(action="organisation.settings_changed")
    assert entry.data["unpaid_block_threshold"] == {"before": None, "after": "150.50"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("sepa_iban", "FR76 3000 6000 0112 3456 7890 188", "This IBAN is not valid"),
        ("sepa_bic", "AGRI", "This BIC is not valid"),
        ("sepa_creditor_id", "FR73ZZZ123456", "This creditor identifier is not valid"),
        ("sepa_creditor_id", "FR53ZZZ12345", "This creditor identifier is not valid"),
        ("siret", "12345678901234", "This SIRET is not valid"),
        ("payfip_client_id", "12AB", "The PayFiP client number has 6 digits"),
        ("unpaid_block_threshold", "-1", "greater than or equal to 0"),
        ("invoice_due_days", "91", "less than or equal to 90"),
    ],
)
def test_bad_billing_settings_are_refused_on_their_field(
    client, admin, organisation, field, value, message
):
    response = client.post("/demo/gestion/parametres/", {**BILLING_SETTINGS, field: value})

    assert response.status_code == 200
    assert response.context["form"].has_error(field)
    assert message in response.content.decode()
    organisation.refresh_from_db()
    assert organisation.sepa_iban == "" and not AuditEntry.objects.exists()
