"""Swedish search folding and sort order."""

from app.text import fold, swedish_sort_key


def test_search_text_folds_case_including_swedish_letters():
    assert fold("ÅSA ÖBERG") == fold("åsa öberg") == "åsa öberg"
    assert fold("Kovačević") == "kovacevic"
    # å, ä and ö are letters of their own, not accented a and o.
    assert fold("Åsa") != fold("Asa")


def test_names_sort_in_swedish_order():
    names = ["Öberg", "Zetterberg", "Åberg", "Ahlberg", "Ängström", "Élise"]
    assert sorted(names, key=swedish_sort_key) == [
        "Ahlberg", "Élise", "Zetterberg", "Åberg", "Ängström", "Öberg"]
