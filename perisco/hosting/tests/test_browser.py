"""The platform operator's page in Chromium, with axe-core."""

import pytest

from perisco.accounts.roles import Role
from perisco.accounts.tests.factories import UserFactory
from perisco.core.tests.browser import WIDTHS, check_page, sign_in_browser
from perisco.core.tests.factories import OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", WIDTHS)
def test_the_organisations_page_is_accessible(page, live_server, width):
    OrganisationFactory(slug="demo", name="Ville de Démo")
    operator = UserFactory(organisation=None, role=Role.PLATFORM_ADMIN)
    sign_in_browser(page, live_server, operator)
    check_page(
        page, f"{live_server.url}/plateforme/organisations/", name="organisations", width=width
    )
