"""A kiosk config as a deployment would write it (no placeholders left), as data and as a
TOML file, for the tests that start ``safar kiosk`` itself."""

from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path
from typing import Any

from firmware.app.config import EXAMPLE

EXAMPLE_DATA = tomllib.loads(EXAMPLE)


def realistic() -> dict[str, Any]:
    """A config as a deployment would write it: hosts neither reserved nor carrying an
    ``example`` label and digits-only phones (all made up for the test)."""
    data = copy.deepcopy(EXAMPLE_DATA)
    data["operator"] = {"tg": "Ташкилоти «Роҳи бехатар»", "ru": "Организация «Безопасный путь»",
                        "uz": "«Xavfsiz yoʻl» tashkiloti", "en": "Safe Road organisation"}
    data["contacts"] = [
        {"name": {"tg": "Хадамоти муҳоҷирати Ҷумҳурии Тоҷикистон", "ru": "Миграционная служба Республики Таджикистан",
                  "uz": "Tojikiston Respublikasi Migratsiya xizmati", "en": "Migration Service of Tajikistan"},
         "phone": "+992 37 221 17 65"},
        {"name": {"tg": "Консулгарии Тоҷикистон дар Маскав", "ru": "Консульство Таджикистана в Москве",
                  "uz": "Tojikistonning Moskvadagi konsulligi", "en": "Consulate of Tajikistan, Moscow"},
         "phone": "+7 (495) 690-41-86"},
    ]
    data["links"] = [
        {"url": "https://check.migration-service.tj/entry",
         "label": {"tg": "Санҷиши расмӣ", "ru": "Официальная проверка", "uz": "Rasmiy tekshiruv",
                   "en": "The official check"}},
        {"url": "https://help.migrant-centre.tj/",
         "label": {"tg": "Маркази ёрӣ ба муҳоҷирон", "ru": "Центр помощи мигрантам",
                   "uz": "Muhojirlarga yordam markazi", "en": "Migrant help centre"}},
    ]
    return data



def to_toml(data: dict[str, Any]) -> str:
    """The TOML of ``data`` (strings, numbers, booleans, lists, tables, arrays of tables)."""
    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=False)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        raise TypeError(type(v))

    top, tables = [], []
    for key, v in data.items():
        if isinstance(v, dict):
            tables.append(f"[{key}]\n" + "".join(f"{k} = {value(x)}\n" for k, x in v.items()))
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            tables += [f"[[{key}]]\n" + "".join(f"{k} = {value(y)}\n" for k, y in x.items()) for x in v]
        else:
            top.append(f"{key} = {value(v)}\n")
    return "".join(top) + "\n" + "\n".join(tables)


def write_config(path: Path, **changes: Any) -> Path:
    """A deployable config file; ``changes``: section -> {key: value} (or key -> value) merged in."""
    data = realistic()
    for key, v in changes.items():
        if isinstance(v, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **v}
        else:
            data[key] = v
    text = to_toml(data)
    assert tomllib.loads(text) == data
    path.write_text(text, encoding="utf-8")
    return path
