from perisco.activities.docs import DOC_PATH, rules_markdown


def test_docs_rules_md_is_what_the_engine_says():
    """Run `manage.py rules_doc` after changing the engine or the examples."""
    assert DOC_PATH.read_text() == rules_markdown()


def test_the_document_reproduces_seed_000s_table():
    text = rules_markdown()
    for meal, last in [
        ("Lundi 30 novembre", "Mercredi 25 novembre"),
        ("Mardi 1 décembre", "Jeudi 26 novembre"),
        ("Mercredi 2 décembre", "Vendredi 27 novembre"),
        ("Jeudi 3 décembre", "Lundi 30 novembre"),
        ("Vendredi 4 décembre", "Mardi 1 décembre"),
    ]:
        assert f"| {meal} 2026 | {last} 2026 | 09:00 |" in text
