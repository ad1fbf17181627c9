"""The stored tag format (';'-separated) has one reader outside the recommender, and the
recommender's own reader agrees with it."""

from hypothesis import given
from hypothesis import strategies as st

from recommender.frames import split_tags as tags_for_matching
from storage.types import split_tags


def test_tags_are_stripped_kept_in_order_and_not_repeated():
    assert split_tags(" ai ; 读书 ;;ai; Startups ") == ["ai", "读书", "Startups"]
    assert split_tags("") == [] and split_tags(None) == []


@given(st.lists(st.text(alphabet="ab AB;读书#", max_size=6), max_size=6))
def test_the_recommender_reads_the_same_tags(parts):
    stored = ";".join(parts)
    assert tags_for_matching(stored) == {t.lower() for t in split_tags(stored)}
