"""Family pages in Chromium at phone and desktop widths, with axe-core."""

import pytest

from perisco.core.tests.browser import WIDTHS, check_page, sign_in_browser
from perisco.core.tests.factories import OrganisationFactory, SchoolFactory
from perisco.families.models import Guardian
from perisco.families.tests.factories import ChildFactory, guardian_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", WIDTHS)
def test_the_family_home_is_accessible(page, live_server, width):
    org = OrganisationFactory(slug="demo", name="Ville de Démo")
    user = guardian_user(org, first_name="Jeanne")
    family = Guardian.objects.get(user=user).family
    school = SchoolFactory(organisation=org, name="École Jules Ferry")
    for name in ("Louise", "Tao", "Noa"):
        ChildFactory(
            organisation=org, first_name=name, school=school, school_class="CE1", families=[family]
        )
    sign_in_browser(page, live_server, user)
    check_page(page, f"{live_server.url}/demo/famille/", name="family home", width=width)
