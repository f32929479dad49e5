"""``file_storage.filters`` against the examples of rclone's filtering documentation."""

from __future__ import annotations

import pytest

from file_storage.filters import FilterError, PathFilter, glob_to_regex

# (pattern, paths it matches, paths it does not match): rclone's "Pattern syntax" examples.
RCLONE_EXAMPLES = [
    ("file.jpg", ["file.jpg", "directory/file.jpg"], ["afile.jpg", "directory/afile.jpg"]),
    ("/file.jpg", ["file.jpg"], ["afile.jpg", "directory/file.jpg"]),
    ("*.jpg", ["file.jpg", "directory/file.jpg"], ["file.jpg/something", "file.png"]),
    ("/*.jpg", ["file.jpg"], ["directory/file.jpg"]),
    ("dir/**", ["dir/file.jpg", "dir/dir1/dir2/file.jpg"], ["directory/file.jpg", "adir/file.jpg"]),
    ("l?ss", ["less", "lass"], ["floss", "l/ss"]),
    ("h[ae]llo", ["hello", "hallo"], ["hullo"]),
    ("h[!ae]llo", ["hullo"], ["hello", "h/llo"]),
    ("{one,two}_potato", ["one_potato", "two_potato"], ["three_potato", "_potato"]),
    ("\\*.jpg", ["*.jpg"], ["file.jpg"]),
    ("\\\\.jpg", ["\\.jpg"], ["x.jpg"]),
    ("\\[one\\].jpg", ["[one].jpg"], ["o.jpg"]),
    ("potato", ["potato", "dir/potato"], ["potatoes", "dir/apotato"]),
    ("dir/", ["dir/a", "x/dir/b/c"], ["dir", "adir/a"]),
]


@pytest.mark.parametrize(("pattern", "matching", "other"), RCLONE_EXAMPLES)
def test_rclone_pattern_examples(pattern: str, matching: list[str], other: list[str]) -> None:
    regex = glob_to_regex(pattern)
    assert [p for p in matching if not regex.search(p)] == []
    assert [p for p in other if regex.search(p)] == []


def test_no_rule_includes_everything() -> None:
    rules = PathFilter()
    assert not rules.active
    assert rules.includes("users/u/rec/source.mp4")


def test_an_include_excludes_everything_else() -> None:
    rules = PathFilter(include=["*.mp4"])
    assert rules.includes("rec/source.mp4")
    assert not rules.includes("rec/thumbnail.jpg")


def test_excludes_keep_the_rest() -> None:
    rules = PathFilter(exclude=["*.jpg", "temp/"])
    assert rules.includes("rec/source.mp4")
    assert not rules.includes("rec/thumbnail.jpg")
    assert not rules.includes("temp/upload/part")


def test_includes_are_tried_before_excludes_as_in_rclone() -> None:
    # rclone's documented pitfall: include rules come first whatever the command-line order.
    rules = PathFilter(include=["*.mp4"], exclude=["temp/**"])
    assert rules.mixed
    assert rules.includes("temp/a.mp4")
    assert not rules.includes("temp/a.txt")


def test_select_matches_relative_to_the_root() -> None:
    rules = PathFilter(include=["/rec-1/**"])
    paths = ["users/u/rec-1/a.mp4", "users/u/rec-2/rec-1/b.mp4", "users/u/x.mp4"]
    assert rules.select(paths, root="users/u") == ["users/u/rec-1/a.mp4"]


def test_listings_hide_only_excluded_folders() -> None:
    rules = PathFilter(include=["*.mp4"], exclude=["temp/"])
    assert rules.shows_folder("users")  # may hold videos
    assert not rules.shows_folder("temp")


@pytest.mark.parametrize("pattern", ["[abc", "{a,b", "{a,{b}}"])
def test_broken_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(FilterError):
        PathFilter(include=[pattern])
