"""The kiosk's settings file as an attacker would write it (issue 22, items 1, 5, 6): nested
500 deep, holding a right-to-left override that makes the screen show a phone number the
file does not hold, or control characters drawn as empty boxes. Each is refused in one
line naming the file, and the setting and character where there is one."""

from __future__ import annotations

import copy
import tomllib
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware import untrusted_toml
from firmware.app import diag_cli, kiosk_cli, update_cli
from firmware.app.config import EXAMPLE, ConfigError, KioskConfig
from tests.clirun import run
from tests.deployable import realistic

DEEP = "x = " + "[" * 500 + "]" * 500 + "\n"


def test_a_500_deep_config_is_one_line_from_every_command_that_reads_one(tmp_path: Path) -> None:
    """Attack: ``x = [[[[…]]]]`` 500 deep was a RecursionError traceback from all three."""
    f = tmp_path / "kiosk.toml"
    f.write_text(EXAMPLE + DEEP, encoding="utf-8")
    code, _, err = run(kiosk_cli, "--config", f)
    assert code == 1 and err == f"safar kiosk: {f}: nested 500 levels deep, more than 16\n", err
    code, _, err = run(diag_cli, "--root", tmp_path, "--config", f)
    assert code == 3 and err.startswith(f"safar diag: {f}: nested 500 levels deep"), err  # diag's usage code
    code, _, err = run(update_cli, "install", tmp_path / "repo", "--state", tmp_path / "state", "--config", f)
    assert code == 2 and f"{f}: nested 500 levels deep" in err, err  # --config is an argument: usage code
    assert "Traceback" not in err


def test_deep_inline_tables_and_an_oversized_file_are_refused_before_parsing(tmp_path: Path) -> None:
    f = tmp_path / "kiosk.toml"
    f.write_text(EXAMPLE + "y = " + "{a = " * 400 + "1" + "}" * 400 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"kiosk.toml: nested 400 levels deep"):
        KioskConfig.load(f)
    f.write_text(EXAMPLE + "# padding\n" * 30_000, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"kiosk.toml: larger than 262144 bytes"):
        KioskConfig.load(f)


def test_brackets_in_strings_and_comments_do_not_count() -> None:
    text = ('a = "[[[[\\"[[[["  # [[[[[[\n'
            "b = '[[[[\\'\n"
            'c = """\n[[[[ \\""" [[[[\n"""\n'
            "d = '''[[[[\n''' \n"
            "e = [[1], [2]]\n"
            "[[f]]\n")
    assert untrusted_toml.nesting_depth(text) == 2
    assert tomllib.loads(text)["b"] == "[[[[\\"


@given(st.recursive(st.integers() | st.text(alphabet="[]{}#\"'\\ ab\n", max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abc"), inner,
                                                                                 max_size=3),
                    max_leaves=12))
def test_the_measured_depth_is_the_parsed_values_depth(value: Any) -> None:
    """Whatever strings hold, the scan counts exactly the arrays and inline tables tomllib nests."""
    text = "v = " + _toml(value) + "\n"
    assert tomllib.loads(text)["v"] == value
    assert untrusted_toml.nesting_depth(text) == _depth(value)


def _toml(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return str(value)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


# -- hidden characters in the texts -----------------------------------------------------

BIDI = [0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0x200E, 0x200F, 0x061C]
CONTROLS = [0x00, 0x1B, 0x0A, 0x0D, 0x09, 0x7F, 0x85, 0xAD, 0xFEFF, 0x2060]


def refused(data: dict[str, Any], key: str, point: int) -> ConfigError:
    with pytest.raises(ConfigError) as e:
        KioskConfig(data, "kiosk.toml")
    assert e.value.key == key, str(e.value)
    assert f"U+{point:04X}" in e.value.reason, str(e.value)
    if unicodedata.category(chr(point)) != "Cc":
        assert unicodedata.name(chr(point)) in e.value.reason, str(e.value)
    return e.value


@pytest.mark.parametrize("point", BIDI)
def test_a_bidi_control_in_a_contact_name_is_refused_naming_it(point: int) -> None:
    """Attack: U+202E in a contact's name showed, reversed, a phone number not in the config."""
    data = realistic()
    data["contacts"][0]["name"]["en"] = f"Help {chr(point)}56-71 122 73 299+"
    e = refused(data, "contacts[0].name.en", point)
    assert "bidirectional" in e.reason


@pytest.mark.parametrize("point", CONTROLS)
def test_a_control_character_in_a_text_is_refused_naming_it(point: int) -> None:
    """Attack: NUL, ESC, newlines in operator, contact or link texts were drawn as empty boxes."""
    data = realistic()
    data["operator"]["ru"] = f"Оператор{chr(point)}киоска"
    e = refused(data, "operator.ru", point)
    assert "control character" in e.reason


@pytest.mark.parametrize(("path", "key"), [
    (("links", 1, "label", "uz"), "links[1].label.uz"),
    (("deployment",), "deployment"),
    (("display", "device"), "display.device"),
    (("scanner", "port"), "scanner.port"),
])
def test_every_text_of_the_config_is_checked(path: tuple[Any, ...], key: str) -> None:
    data = realistic()
    where = data
    for step in path[:-1]:
        where = where[step]
    where[path[-1]] = where[path[-1]] + "\u202e"
    refused(data, key, 0x202E)
    data = realistic()
    data["camera"] = {"source": "files", "files": ["/srv/a.png", "/srv/b\x1b.png"]}
    refused(data, "camera.files[1]", 0x1B)
    data = realistic()
    data["display"]["x\u2066y"] = 1
    refused(data, "display", 0x2066)


def test_zwnj_and_zwj_stay_allowed_for_dari_and_tajik_words() -> None:
    data = realistic()
    data["languages"] = ["tg", "ru", "uz", "en", "prs"]
    data["operator"]["prs"] = "سازمان\u200cهای راه امن"  # ZWNJ: the plural suffix written apart
    data["contacts"][0]["name"]["prs"] = "اداره\u200dٔ مهاجرت"
    data["contacts"][1]["name"]["prs"] = "قونسلگری تاجیکستان"
    for link in data["links"]:
        link["label"]["prs"] = "بررسی رسمی"
    config = KioskConfig(copy.deepcopy(data), "kiosk.toml")
    assert "\u200c" in config.operator["prs"]


def test_a_hidden_character_in_a_file_is_one_line_from_the_kiosk_command(tmp_path: Path) -> None:
    f = tmp_path / "kiosk.toml"
    f.write_text(EXAMPLE.replace('en = "Migration Service"', 'en = "Migration \\u202eService"'), encoding="utf-8")
    code, _, err = run(kiosk_cli, "--config", f)
    assert code == 1 and err == (f"safar kiosk: {f}: contacts[0].name.en: U+202E RIGHT-TO-LEFT OVERRIDE at "
                                 "character 11: a bidirectional control would reorder what the screen shows\n"), err
