# The bookings app's fixtures (a certified family, a canteen, a child enrolled in it) for the
# staff bookings pages.
from perisco.bookings.tests.conftest import (  # noqa: F401
    canteen,
    child,
    family,
    make_child,
    manager,
    other_family,
    parent,
    session,
    window,
)
