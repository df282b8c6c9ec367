"""Demo messages (issue 11): the demo family's question answered by the town hall, another
family's question waiting in the staff inbox, a broadcast about a strike, an announcement
on the family home page, and the staff's reply templates."""

from datetime import timedelta

from django.utils import timezone

from perisco.accounts.models import User
from perisco.families.models import FamilyChild, Guardian
from perisco.inbox.audiences import Audience
from perisco.inbox.models import Announcement, Broadcast, Thread
from perisco.inbox.services import (
    announcement_save,
    broadcast_send,
    message_reply,
    reply_template_save,
    thread_start_by_family,
)

TEMPLATES = (
    (
        "Document bien reçu",
        "Bonjour,\n\nNous avons bien reçu votre document, qui est ajouté à votre dossier.\n\n"
        "Bien cordialement,\nLe service enfance",
    ),
    (
        "Délai de paiement",
        "Bonjour,\n\nNous pouvons vous accorder un paiement en plusieurs fois. Dites-nous "
        "combien de mensualités vous conviendraient et nous reviendrons vers vous.\n\n"
        "Bien cordialement,\nLe service enfance",
    ),
    (
        "Absence : justificatif",
        "Bonjour,\n\nPour que l'absence ne soit pas facturée, envoyez-nous le certificat "
        "médical depuis la page Documents de votre espace famille, dans les 48 heures.\n\n"
        "Bien cordialement,\nLe service enfance",
    ),
)


def demo_messages(organisation, manager: User, slug: str) -> None:
    if Thread.objects.exists():
        return
    now = timezone.now()
    for title, body in TEMPLATES:
        reply_template_save(actor=manager, organisation=organisation, title=title, body=body)

    parent = User.all_objects.get(organisation=organisation, email=f"parent@{slug}.test")
    family = Guardian.objects.get(user=parent).family
    child = FamilyChild.objects.filter(family=family).select_related("child").first()
    question = thread_start_by_family(
        actor=parent,
        family=family,
        subject="Certificat d'allergie",
        body=(
            "Bonjour,\n\nLe médecin a renouvelé le certificat d'allergie aux arachides. "
            f"Faut-il refaire le PAI avant les vacances ?\n\nMerci,\n{parent.first_name}"
        ),
        child=child.child if child else None,
        now=now - timedelta(days=3, hours=2),
    )
    message_reply(
        actor=manager,
        thread=question,
        body=(
            "Bonjour,\n\nOui : prenez rendez-vous avec l'infirmière scolaire, le PAI sera "
            "signé avant le 18 décembre. D'ici là, l'ancien reste valable.\n\n"
            "Bien cordialement,\nClaire Martin, service enfance"
        ),
        from_family=False,
        now=now - timedelta(days=2, hours=5),
    )

    # Another family's question, waiting for an agent.
    other = (
        Guardian.objects.filter(user__isnull=False, family__status="active")
        .exclude(family=family)
        .select_related("user", "family")
        .order_by("pk")
        .first()
    )
    if other is not None:
        thread_start_by_family(
            actor=other.user,
            family=other.family,
            subject="Facture d'octobre",
            body=(
                "Bonjour,\n\nLa facture d'octobre compte un repas le 14, jour où notre fils "
                "était malade. Pouvez-vous vérifier ?\n\nCordialement"
            ),
            now=now - timedelta(hours=20),
        )

    broadcast = broadcast_send(
        actor=manager,
        organisation=organisation,
        audience=Audience("all"),
        subject="Grève du jeudi 3 décembre",
        body=(
            "Madame, Monsieur,\n\nEn raison d'un mouvement de grève, la restauration "
            "scolaire ne sera pas assurée le jeudi 3 décembre. Les repas réservés ce jour-là "
            "ne seront pas facturés. Les accueils du matin et du soir sont maintenus.\n\n"
            "Le service enfance"
        ),
        now=now - timedelta(days=1),
    )
    # The demo writes to nobody: its broadcast is marked as e-mailed to no one.
    Broadcast.objects.filter(pk=broadcast.pk).update(emails_count=0)

    today = timezone.localdate(now)
    if not Announcement.objects.exists():
        announcement_save(
            actor=manager,
            organisation=organisation,
            title="Vacances de Noël : réservez avant le 10 décembre",
            body=(
                "L'accueil de loisirs est ouvert du 21 au 31 décembre (fermé le 25). "
                "Demandez vos journées depuis le calendrier avant le 10 décembre."
            ),
            start=today - timedelta(days=2),
            end=today + timedelta(days=20),
        )
