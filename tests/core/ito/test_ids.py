"""Change ids, path components, archive folders, module folders (FORMATS.md §1)."""

from __future__ import annotations

from datetime import date

import pytest

from core.ito.ids import (
    MAX_CHANGE_ID_LENGTH,
    ChangeId,
    archive_folder_name,
    humanize,
    is_change_id,
    module_id_of,
    parse_archive_folder,
    parse_change_id,
    parse_module_folder,
    parse_sub_module_folder,
    require_safe_component,
    sub_module_id_of,
)
from core.models.errors import InvalidInput


def test_a_module_change_id_parses_into_its_parts() -> None:
    assert parse_change_id("024-02_add-cli-backend-client") == ChangeId(
        module="024", sub_module=None, number="02", name="add-cli-backend-client"
    )


def test_a_sub_module_change_id_carries_its_sub_module_id() -> None:
    parsed = parse_change_id("014.01-03_add-jwt")
    assert (parsed.module, parsed.sub_module, parsed.number, parsed.name) == (
        "014",
        "014.01",
        "03",
        "add-jwt",
    )


def test_a_parsed_id_spells_itself_back() -> None:
    assert str(parse_change_id("014.01-03_add-jwt")) == "014.01-03_add-jwt"


def test_change_numbers_may_have_more_than_two_digits() -> None:
    assert parse_change_id("024-100_big").number == "100"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "24-01_x",  # module needs three digits
        "024-1_x",  # change number needs two
        "024-01",  # no name
        "024-01_",  # empty name
        "024-01_1st",  # name starts with a digit
        "024-01_Add",  # upper case
        "024-01_add_more",  # underscore in the name
        "024_01_add",  # '_' between module and number
        "024-01_add/../x",
        "024-01_add ",
        "024-01_add\n",
        "024.1-01_x",  # sub-module needs two digits
        "٠٢٤-01_x",  # non-ASCII digits
    ],
)
def test_malformed_change_ids_are_refused(bad: str) -> None:
    assert not is_change_id(bad)
    with pytest.raises(InvalidInput):
        parse_change_id(bad)


def test_the_refusal_names_the_bad_id() -> None:
    with pytest.raises(InvalidInput, match="'024-01_Bad'"):
        parse_change_id("024-01_Bad")


def test_an_id_too_long_for_an_archive_folder_name_is_refused() -> None:
    longest = "024-01_" + "a" * (MAX_CHANGE_ID_LENGTH - 7)
    assert is_change_id(longest)
    assert not is_change_id(longest + "a")


def test_the_module_id_is_the_three_digit_prefix() -> None:
    assert module_id_of("024-02_add-cli") == "024"
    assert module_id_of("014.01-03_add-jwt") == "014"


def test_a_legacy_name_has_no_module_id() -> None:
    assert module_id_of("add-update-command") is None


def test_only_sub_module_ids_have_a_sub_module() -> None:
    assert sub_module_id_of("014.01-03_add-jwt") == "014.01"
    assert sub_module_id_of("014-03_add-jwt") is None


@pytest.mark.parametrize("bad", ["", ".", "..", "a/b", "a\\b", "a\x00b", "/etc", "../x"])
def test_unsafe_path_components_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput, match="spec id"):
        require_safe_component(bad, "spec id")


def test_a_plain_name_is_a_safe_component() -> None:
    assert require_safe_component("backend-auth", "capability") == "backend-auth"


def test_an_archive_folder_is_the_date_then_the_id() -> None:
    assert archive_folder_name("024-01_x", date(2026, 2, 28)) == "2026-02-28-024-01_x"


def test_a_dated_archive_folder_yields_its_day_and_id() -> None:
    assert parse_archive_folder("2026-02-28-024-01_add-shared-state-api") == (
        date(2026, 2, 28),
        "024-01_add-shared-state-api",
    )


def test_a_bare_valid_id_is_an_undated_archive_folder() -> None:
    assert parse_archive_folder("024-01_x") == (None, "024-01_x")


@pytest.mark.parametrize(
    "name",
    [
        "2025-01-11-add-update-command",  # legacy: no number, not a valid id
        "2026-02-30-024-01_x",  # no such day
        "2026-02-28-",
        "notes",
        "2026-02-28_024-01_x",
    ],
)
def test_other_archive_folders_are_not_changes(name: str) -> None:
    assert parse_archive_folder(name) is None


def test_humanize_turns_the_kebab_name_into_a_sentence() -> None:
    assert humanize("024-01_add-shared-state-api") == "Add shared state api"


def test_humanize_falls_back_to_the_whole_folder_name() -> None:
    assert humanize("add-update-command") == "Add update command"


def test_humanize_joins_words_across_runs_of_separators_and_drops_them_at_the_ends() -> None:
    assert humanize("_-add__state - \tapi-_") == "Add state api"


def test_humanize_of_separators_alone_is_empty() -> None:
    assert humanize("-_ \n") == ""


def test_a_module_folder_is_number_then_name() -> None:
    assert parse_module_folder("024_ito-backend") == ("024", "ito-backend")


@pytest.mark.parametrize("name", ["24_x", "024-ito", "024_", "024_Ito", "readme.md"])
def test_other_folders_are_not_modules(name: str) -> None:
    assert parse_module_folder(name) is None


def test_a_sub_module_folder_takes_its_parents_id() -> None:
    assert parse_sub_module_folder("024", "01_auth") == ("024.01", "auth")


def test_a_sub_module_folder_may_spell_out_its_parent() -> None:
    assert parse_sub_module_folder("024", "024.02_sync") == ("024.02", "sync")


def test_a_sub_module_folder_naming_another_parent_is_ignored() -> None:
    assert parse_sub_module_folder("024", "025.02_sync") is None
