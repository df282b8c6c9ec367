"""One invoice PDF: the time WeasyPrint takes to render a typical invoice (2 children,
4 lines, a previous balance, how to pay) from its snapshot.

    .venv/bin/python bench/invoice_pdf.py [--rounds 30]

Target: ≤ 150 ms (STACK.md measured ~110 ms for a one-page invoice). The first rendering
of a process loads the fonts and is reported apart; the load average is printed, as the
machine's other work shows in the wall-clock times (the CPU time of the process less so);
an issued invoice is rendered once, then served from its stored file
(`billing.documents.invoice_pdf`).
"""

import argparse
import os
import statistics
import time

import django_setup  # noqa: F401  (first: Django ready)
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from perisco.billing.documents import invoice_html, invoice_pdf_render
from perisco.billing.tests.documents_data import typical_invoice
from perisco.core.models import Organisation
from perisco.core.scoping import organisation_scope
from perisco.families.models import Family


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    load_before = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    with transaction.atomic():
        stamp = time.time_ns() % 10**9
        org = Organisation.objects.create(
            slug=f"bench-pdf-{stamp}",
            name="Ville de Démo",
            email="enfance@demo.test",
            payment_instructions="Chèque à l'ordre du Trésor public, en mairie.",
            payfip_client_id="123456",
        )
        with organisation_scope(org):
            family = Family.objects.create(organisation=org, number="000001", name="DUPONT")
            invoice = typical_invoice(family)
            start = time.perf_counter()
            invoice_pdf_render(invoice)
            cold = time.perf_counter() - start
            times, cpu_times, html_times = [], [], []
            for _ in range(args.rounds):
                start = time.perf_counter()
                invoice_html(invoice)
                html_times.append(time.perf_counter() - start)
                start, cpu = time.perf_counter(), time.process_time()
                content = invoice_pdf_render(invoice)
                times.append(time.perf_counter() - start)
                cpu_times.append(time.process_time() - cpu)
            with CaptureQueriesContext(connection) as queries:
                invoice_pdf_render(invoice)
        transaction.set_rollback(True)
    ms = sorted(t * 1000 for t in times)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"invoice PDF, {args.rounds} renderings ({connection.vendor}), {len(content)} bytes")
    print(f"  load average before: {load_before}; after: {load} ({os.cpu_count()} cores)")
    print(f"  first in the process: {cold * 1000:.0f} ms (fonts loaded)")
    print(
        f"  median {statistics.median(ms):.0f} ms, p90 {ms[int(len(ms) * 0.9) - 1]:.0f} ms, "
        f"max {ms[-1]:.0f} ms (target ≤ 150 ms)"
    )
    print(f"  CPU time of the process: median {statistics.median(cpu_times) * 1000:.0f} ms")
    print(f"  of which the HTML: median {statistics.median(html_times) * 1000:.1f} ms")
    print(f"  queries per rendering: {len(queries)}")


if __name__ == "__main__":
    main()
