"""The kiosk's settings: who runs it, contacts, official links, printer, I/O board and
display sizes, each rule with a good and a bad value; and the placeholders that
``safar kiosk`` refuses to start with (the example's, made-up numbers, example domains)."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from firmware.app.config import EXAMPLE, ConfigError, KioskConfig
from firmware.kiosk.screen import Branding
from tests.deployable import realistic

EXAMPLE_DATA = tomllib.loads(EXAMPLE)


def refused(data: dict[str, Any], key: str, words: str = "") -> ConfigError:
    with pytest.raises(ConfigError) as e:
        KioskConfig(data, "kiosk.toml")
    assert e.value.key == key, str(e.value)
    assert str(e.value).startswith(f"kiosk.toml: {key}: "), str(e.value)
    assert words in e.value.reason, str(e.value)
    return e.value


def keys(config: KioskConfig) -> list[str]:
    return [key for key, _ in config.placeholders()]


# -- the example and a realistic deployment --------------------------------------------


def test_the_example_parses_and_its_placeholders_are_listed() -> None:
    config = KioskConfig.example()
    found = dict(config.placeholders())
    for key in ("operator.tg", "operator.en", "contacts[0].phone", "contacts[1].phone",
                "contacts[0].name.ru", "links[0].url", "links[1].url", "links[1].label.uz"):
        assert key in found, key
    assert "RFC 2606" in found["links[0].url"] and "X" in found["contacts[0].phone"]
    assert len(keys(config)) == len(set(keys(config)))
    assert config.languages == ("tg", "ru", "uz", "en")
    assert config.result_seconds == 60
    assert (config.printer_enabled, config.ioboard_port) == (False, None)
    assert all(link.url.startswith("https://") and ".example.org/" in link.url for link in config.links)


def test_the_examples_texts_use_the_right_letters() -> None:
    for table in [EXAMPLE_DATA["operator"]] + [c["name"] for c in EXAMPLE_DATA["contacts"]] + \
            [x["label"] for x in EXAMPLE_DATA["links"]]:
        assert set(table) == {"tg", "ru", "uz", "en", "prs"}  # Dari too: enabling it needs no other edit
    tajik = "".join(t["tg"] for t in [EXAMPLE_DATA["operator"], *(c["name"] for c in EXAMPLE_DATA["contacts"])])
    assert set("ҳҷӣӯ") <= set(tajik)
    uzbek = "".join([EXAMPLE_DATA["operator"]["uz"], *(c["name"]["uz"] for c in EXAMPLE_DATA["contacts"])])
    assert "\u02bb" in uzbek and not set("'`\u2018\u2019") & set(uzbek)


def test_a_realistic_config_has_no_placeholders() -> None:
    config = KioskConfig(realistic())
    assert config.placeholders() == []
    branding = config.branding
    assert isinstance(branding, Branding)
    assert branding.languages == config.languages and branding.operator == config.operator
    assert [c.phone for c in branding.contacts] == ["+992 37 221 17 65", "+7 (495) 690-41-86"]
    assert branding.links[0].url == "https://check.migration-service.tj/entry"


# -- languages and who runs the kiosk --------------------------------------------------


def test_dari_is_known_and_needs_its_texts_when_enabled() -> None:
    data = realistic()
    data["languages"] = ["tg", "ru", "uz", "en", "prs"]
    refused(data, "operator.prs", "missing")
    data["operator"]["prs"] = "سازمان راه امن"
    for c in data["contacts"]:
        c["name"]["prs"] = "خدمات مهاجرت"
    for link in data["links"]:
        link["label"]["prs"] = "بررسی رسمی"
    assert KioskConfig(data).languages[-1] == "prs"
    data["languages"] = ["tg", "fr"]
    refused(data, "languages", "unknown language 'fr'")


def test_the_operator_is_required_in_every_language_and_short() -> None:
    data = realistic()
    data["operator"]["en"] = "x" * 60
    assert KioskConfig(data).operator["en"] == "x" * 60
    data["operator"]["en"] = "x" * 61
    refused(data, "operator.en", "at most 60 characters")
    data["operator"]["en"] = "Safe Road organisation"
    del data["operator"]["uz"]
    refused(data, "operator.uz", "missing")
    data = realistic()
    data["operator"]["fr"] = "Opérateur"
    refused(data, "operator.fr", "unknown language")
    data["operator"] = {**realistic()["operator"], "ru": "  "}
    refused(data, "operator.ru", "must be a text")
    del data["operator"]
    refused(data, "operator", "missing")
    data["operator"] = "Safe Road"
    refused(data, "operator", "must be dict")


# -- contacts --------------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 4])
def test_one_to_three_contacts(count: int) -> None:
    data = realistic()
    data["contacts"] = [data["contacts"][0]] * count
    refused(data, "contacts", "1 to 3")


def test_three_contacts_are_accepted_and_none_is_refused() -> None:
    data = realistic()
    data["contacts"] = [data["contacts"][0]] * 3
    assert len(KioskConfig(data).contacts) == 3
    del data["contacts"]
    refused(data, "contacts", "missing")


def test_a_contacts_name_and_phone_are_checked() -> None:
    data = realistic()
    data["contacts"][1]["name"]["uz"] = "y" * 61
    refused(data, "contacts[1].name.uz", "at most 60 characters")
    data = realistic()
    del data["contacts"][0]["name"]["tg"]
    refused(data, "contacts[0].name.tg", "missing")
    for phone in ["+992 37 221 17 65 ext 2", "+992.37.221.17.65", "call us", "+ ( ) -", "+992 37 221 17 65 12 34 5"]:
        data = realistic()
        data["contacts"][0]["phone"] = phone
        refused(data, "contacts[0].phone", "phone number")
    data = realistic()
    data["contacts"][0]["phone"] = "+992 (37) 221-17-65 1234"  # 24 characters
    assert KioskConfig(data).contacts[0].phone == "+992 (37) 221-17-65 1234"
    del data["contacts"][0]["phone"]
    refused(data, "contacts[0].phone", "missing")


def test_unknown_contact_keys_and_the_old_hotline_are_refused() -> None:
    data = realistic()
    data["contacts"][1]["email"] = "help@migration-service.tj"
    refused(data, "contacts[1].email", "unknown setting")
    data = realistic()
    data["hotline"] = "+992 37 221 17 65"
    refused(data, "hotline", "unknown setting")
    data = realistic()
    data["contacts"][0] = "+992 37 221 17 65"
    refused(data, "contacts[0]", "must be a table")


# -- links -----------------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 4])
def test_one_to_three_links(count: int) -> None:
    data = realistic()
    data["links"] = [data["links"][0]] * count
    refused(data, "links", "1 to 3")


@pytest.mark.parametrize("url", [
    "http://check.migration-service.tj/",        # not https
    "https://check.migration-service.tj/" + "a" * 86,  # 121 characters
    "https://192.168.1.10/check",                # an address, not a DNS name
    "https://localhost/check",                   # one label
    "https://user@check.migration-service.tj/",  # a user name hides the real host
    "https://check.migration-service.tj:8443/",
    "https://check.migration-service.tj./",
    "https://check_migration.tj/",
    "https://-check.migration-service.tj/",
    "https://check.migration-service.tj/a b",
    "https://проверка.tj/",                      # write the xn-- form
    "ftp://check.migration-service.tj/",
    "https://",
])
def test_a_links_url_must_be_a_short_https_address_with_a_dns_name(url: str) -> None:
    data = realistic()
    data["links"][1]["url"] = url
    refused(data, "links[1].url", "https://")


def test_a_link_of_120_characters_and_a_punycode_host_pass() -> None:
    data = realistic()
    url = "https://check.migration-service.tj/" + "a" * 85
    assert len(url) == 120
    data["links"][0]["url"] = url
    data["links"][1]["url"] = "https://xn--80akhbyknj4f.xn--p1ai/check?lang=tg#form"
    config = KioskConfig(data)
    assert config.links[0].url == url and config.placeholders() == []


def test_a_links_label_is_checked_and_unknown_keys_refused() -> None:
    data = realistic()
    data["links"][1]["label"]["uz"] = "z" * 51
    refused(data, "links[1].label.uz", "at most 50 characters")
    data["links"][1]["label"]["uz"] = "z" * 50
    assert KioskConfig(data).links[1].label["uz"] == "z" * 50
    del data["links"][0]["label"]["en"]
    refused(data, "links[0].label.en", "missing")
    data = realistic()
    data["links"][0]["qr"] = True
    refused(data, "links[0].qr", "unknown setting")
    data = realistic()
    data["official_link"] = "https://check.migration-service.tj/"
    refused(data, "official_link", "unknown setting")


@pytest.mark.parametrize("host", ["migration.example.tj", "example.tj", "www.example.co.uk", "example.ru",
                                  "example.com.tj", "EXAMPLE.tj"])
def test_an_example_label_outside_the_reserved_domains_is_refused(host: str) -> None:
    data = realistic()
    data["links"][0]["url"] = f"https://{host}/ban-check"
    e = refused(data, "links[0].url", "is not a reserved example domain: anyone could register it")
    assert "configure the real official address" in e.reason


@pytest.mark.parametrize("host", ["example.org", "www.example.com", "a.b.example.net", "check.example",
                                  "example.test", "kiosk.invalid", "demo.localhost"])
def test_reserved_example_domains_parse_but_are_placeholders(host: str) -> None:
    data = realistic()
    data["links"][1]["url"] = f"https://{host}/info"
    found = dict(KioskConfig(data).placeholders())
    assert list(found) == ["links[1].url"]
    assert "reserved for examples" in found["links[1].url"]


@pytest.mark.parametrize("host", ["examples.tj", "myexample.tj", "example-service.tj"])
def test_example_only_as_part_of_a_label_is_an_ordinary_host(host: str) -> None:
    data = realistic()
    data["links"][1]["url"] = f"https://{host}/"
    assert KioskConfig(data).placeholders() == []


# -- placeholders ----------------------------------------------------------------------


@pytest.mark.parametrize(("phone", "placeholder"), [
    ("+992 XX XXX XX XX", True),
    ("+992 37 221 17 6X", True),
    ("+992 37 000 00 01", True),       # the old example's kind: a run of zeros
    ("+7 495 100 00 01", True),        # five zeros across the groups
    ("+992 37 100 00 12", False),      # four are a real number's
    ("+992 37 221 17 65", False),
    ("+992 (37) 221-17-65", False),
])
def test_made_up_phone_numbers_are_placeholders(phone: str, placeholder: bool) -> None:
    data = realistic()
    data["contacts"][1]["phone"] = phone
    assert keys(KioskConfig(data)) == (["contacts[1].phone"] if placeholder else [])


def test_texts_left_as_in_the_example_are_placeholders() -> None:
    data = realistic()
    data["operator"]["ru"] = EXAMPLE_DATA["operator"]["ru"]
    data["contacts"][0]["name"]["en"] = EXAMPLE_DATA["contacts"][0]["name"]["en"]
    data["links"][1]["label"]["tg"] = EXAMPLE_DATA["links"][1]["label"]["tg"]
    assert keys(KioskConfig(data)) == ["operator.ru", "contacts[0].name.en", "links[1].label.tg"]
    data = realistic()
    data["links"] = copy.deepcopy(EXAMPLE_DATA["links"])
    found = dict(KioskConfig(data).placeholders())
    assert {"links[0].url", "links[1].url", "links[0].label.en"} <= set(found)


def test_placeholders_names_the_refusal_in_its_docstring() -> None:
    assert "safar kiosk" in (KioskConfig.placeholders.__doc__ or "")


# -- timing, printer, I/O board --------------------------------------------------------


def test_result_seconds_default_and_bounds() -> None:
    data = realistic()
    del data["result_seconds"]
    assert KioskConfig(data).result_seconds == 60
    for good in (10, 600):
        data["result_seconds"] = good
        assert KioskConfig(data).result_seconds == good
    for bad in (9, 601, 3):
        data["result_seconds"] = bad
        refused(data, "result_seconds", "between 10 and 600")


def test_the_printer_is_off_by_default() -> None:
    config = KioskConfig(realistic())
    assert (config.printer_enabled, config.printer_device, config.printer_baudrate, config.printer_dots) == \
        (False, "/dev/usb/lp0", None, 576)


def test_printer_settings() -> None:
    data = realistic()
    data["printer"] = {"enabled": True, "device": "/dev/ttyUSB0", "baudrate": 19200, "paper_width_mm": 58}
    config = KioskConfig(data)
    assert (config.printer_enabled, config.printer_device, config.printer_baudrate, config.printer_dots) == \
        (True, "/dev/ttyUSB0", 19200, 384)
    data["printer"] = {"enabled": True, "paper_width_mm": 80}
    assert KioskConfig(data).printer_dots == 576
    for settings, key, words in [
        ({"enabled": "yes"}, "printer.enabled", "must be bool"),
        ({"device": "lp0"}, "printer.device", "device path"),
        ({"baudrate": 1234}, "printer.baudrate", "must be one of"),
        ({"baudrate": True}, "printer.baudrate", "must be int"),
        ({"paper_width_mm": 70}, "printer.paper_width_mm", "58 or 80"),
        ({"cut": True}, "printer.cut", "unknown setting"),
    ]:
        data["printer"] = settings
        refused(data, key, words)


def test_ioboard_settings() -> None:
    data = realistic()
    assert KioskConfig(data).ioboard_port is None
    data["ioboard"] = {"port": "/dev/serial/by-id/usb-safar-ioboard"}
    assert KioskConfig(data).ioboard_port == "/dev/serial/by-id/usb-safar-ioboard"
    for settings, key, words in [
        ({}, "ioboard.port", "missing"),
        ({"port": "ttyACM0"}, "ioboard.port", "device path"),
        ({"port": "/dev/ttyACM0", "buzzer": True}, "ioboard.buzzer", "unknown setting"),
    ]:
        data["ioboard"] = settings
        refused(data, key, words)


def test_the_example_documents_the_optional_hardware() -> None:
    assert "# [printer]" in EXAMPLE and "# [ioboard]" in EXAMPLE and "docs/next-steps.md" in EXAMPLE
    enabled = EXAMPLE.replace("# [printer]\n# enabled = true", "[printer]\nenabled = true")
    assert KioskConfig(tomllib.loads(enabled)).printer_enabled


# -- display sizes ---------------------------------------------------------------------


@pytest.mark.parametrize(("size", "accepted"), [
    ((800, 480), True), ((1024, 600), True), ((480, 800), True), ((1920, 1080), True),
    ((1280, 800), True), ((600, 1024), True), ((1080, 1920), True), ((480, 480), False),
    ((600, 480), True), ((599, 480), False), ((480, 768), True), ((480, 767), False), ((480, 600), False),
    ((1152, 480), True),  # exactly 2.4
    ((4096, 2160), True),
    ((320, 240), False), ((480, 320), False), ((4096, 480), False), ((1153, 480), False),
    ((479, 800), False), ((4097, 2160), False), ((240, 240), False),
])
def test_display_sizes(size: tuple[int, int], accepted: bool) -> None:
    data = realistic()
    data["display"]["size"] = list(size)
    if accepted:
        assert KioskConfig(data).display_size == size
    else:
        e = refused(data, "display.size", "is not supported")
        assert "480 to 4096" in e.reason and "2.4 times" in e.reason


def test_a_display_size_must_be_two_whole_numbers() -> None:
    data = realistic()
    for size in ([800], [800, 480, 1], [800.0, 480], [True, 480]):
        data["display"]["size"] = size
        refused(data, "display.size", "[width, height]")


# -- the file --------------------------------------------------------------------------


def test_errors_from_a_file_name_the_file_and_the_key(tmp_path: Path) -> None:
    f = tmp_path / "kiosk.toml"
    f.write_text(EXAMPLE.replace('url = "https://official-check.example.org/entry-ban"',
                                 'url = "https://migration.example.tj/ban-check"'), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"kiosk.toml: links\[0\].url: migration.example.tj is not a reserved"):
        KioskConfig.load(f)
    f.write_text(EXAMPLE, encoding="utf-8")
    assert KioskConfig.load(f).placeholders() == KioskConfig.example().placeholders()
