from producers.formats import split_document
from producers.formats.order import publication_order
from tests.support.paths import SAMPLE_PAGE


def test_listing_items_are_published_oldest_first_lead_last():
    result = split_document(SAMPLE_PAGE.read_bytes(), None, source="anp",
                            fetched_at="2026-01-24T18:00:00+01:00")
    ordered = publication_order(result.items)
    firsts = [i.payload.decode()[:30] for i in ordered]
    assert firsts[0].startswith("MINNEAPOLIS (ANP/AFP/RTR)")  # shot, 5 h ago
    assert firsts[-2].startswith("MINNEAPOLIS (ANP/AFP)")  # the governor, 14 min ago
    assert firsts[-1].startswith("Poetin")  # the unlabelled lead counts as fetch time
    assert sorted(i.key for i in ordered) == sorted(i.key for i in result.items)


def test_items_without_a_time_keep_document_order():
    doc = b'{"guid": "a", "headline": "A", "body": "x"}\n{"guid": "b", "headline": "B", "body": "y"}\n'
    result = split_document(doc, "jsonl", source="t", fetched_at="2026-01-24T18:00:00Z")
    assert publication_order(result.items) == result.items


def test_one_source_name_rule_for_files_and_urls():
    from producers.sources.base import source_name

    assert source_name("../shared/data/anp-buitenland-page.txt") == "anp-buitenland-page"
    assert source_name("https://example.org/feeds/world.xml?page=2") == "world"
    assert source_name("https://example.org/news/") == "news"
