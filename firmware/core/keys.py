"""Identity keys: what the builder inserts and the kiosk looks up, computed the same way.

- document key ``D|nationality|number|birth``: a passport seen before (strong); a zone
  whose nationality is blank ('<<<') is keyed under its issuing state;
- name key ``N|surname|first given name|birth``: the same person under another
  passport, whatever the spelling (possible); none without a surname.

Birth dates are keyed as YYMMDD with '<<' for unknown parts: two digits of year on
both sides, so the MRZ's missing century never matters. A list entry is stored once,
at the precision the list gives (YYMMDD, YYMM<< or YY<<<<: the year is always known).
The traveller's side does the widening: it looks up every list date its own date is
compatible with (equal wherever both know the part), so a full date costs 3 lookups
a key and a passport that gives only the year costs ``WORST_LOOKUPS``. The false-alarm
budget is set for that worst case (``firmware.core.budget``). See docs/filter-format.md
and docs/name-folding.md. Portable (MicroPython).
"""

from firmware.core.mrz_dates import date_part, days_in_month
from firmware.core.mrz_layout import DIGITS
from firmware.core.translit import fold, words

UNKNOWN = "<<"


def birth_key(year, month, day):
    """YYMMDD with '<<' for each unknown part (None)."""
    y = UNKNOWN if year is None else "%02d" % (year % 100)
    m = UNKNOWN if month is None else "%02d" % month
    d = UNKNOWN if day is None else "%02d" % day
    return y + m + d


def _days(yy, month):
    # 2000 + yy is a leap year exactly when yy % 4 == 0: so a two-digit year that could be
    # 1900 or 2000 gets its 29 February whenever it could exist
    return days_in_month(2000 + yy, month)


def compatible_births(birth):
    """Every list-side birth key (YYMMDD, YYMM<< or YY<<<<) that agrees with ``birth``
    wherever both know the part. Empty when the year is unknown or the date impossible:
    such a passport cannot be matched (every list entry has a year)."""
    if len(birth) != 6:
        return []
    yy, mm, dd = date_part(birth[0:2]), date_part(birth[2:4]), date_part(birth[4:6])
    if yy is None or yy < 0 or (mm is not None and not 1 <= mm <= 12) or (dd is not None and not 1 <= dd <= 31):
        return []
    y = birth[0:2]
    out = [y + UNKNOWN + UNKNOWN]
    months = [mm] if mm is not None else list(range(1, 13))
    for m in months:
        if dd is not None and dd > _days(yy, m):
            continue
        out.append(y + "%02d" % m + UNKNOWN)
        days = [dd] if dd is not None else list(range(1, _days(yy, m) + 1))
        for d in days:
            out.append(y + "%02d%02d" % (m, d))
    if len(out) == 1 and mm is not None:
        return []  # a day that the month does not have
    return out


def lookups_for(birth):
    """Lookups a traveller born on ``birth`` costs per key kind."""
    return len(compatible_births(birth))


# The most lookups any passport shape costs per key kind: a passport that gives only a
# leap-capable birth year (366 days + 12 months + the year itself).
WORST_LOOKUPS = lookups_for("00<<<<")


# Letters a document number is keyed as: O and I as officials mistype 0 and 1, and
# G, L and U as an MRZ reader misreads 6, 1 and 0. Those three weigh the same as their
# digit in the check-digit sum (16, 21, 30), so no check digit can tell them apart:
# keying them alike is the only way such a misread still finds its record.
NUMBER_LOOKALIKES = {"O": "0", "I": "1", "G": "6", "L": "1", "U": "0"}


def normalize_number(number):
    """Document numbers as keyed on both sides: letters and digits only, upper case,
    look-alike letters as their digits (``NUMBER_LOOKALIKES``)."""
    if number.isdigit():
        return number  # the common case, and the builder's hot path
    out = []
    for c in number.upper():
        if c in NUMBER_LOOKALIKES:
            out.append(NUMBER_LOOKALIKES[c])
        elif ("A" <= c <= "Z") or c in DIGITS:
            out.append(c)
    return "".join(out)


def document_head(nationality, number):
    """``D|NAT|NUMBER`` (the key without its date), or None when there is no number."""
    n = normalize_number(number)
    if not n:
        return None
    return "D|" + nationality.upper().replace("<", "") + "|" + n


def given_skeleton(given_names):
    """The folded first given name ('' when there is none): the only given name keyed."""
    first = words(given_names)
    return fold(first[0]) if first else ""


def name_head(surname, given_names, fold_surname=fold, fold_given=given_skeleton):
    """``N|SURNAME|GIVEN`` (folded; the first given name only), or None without a surname.
    The builder passes memoized folds: a list repeats names, and folding is the slow part."""
    s = fold_surname(surname)
    if not s:
        return None
    return "N|" + s + "|" + fold_given(given_names)


def document_key(nationality, number, birth):
    head = document_head(nationality, number)
    return None if head is None else head + "|" + birth


_HARD_SIGNS = ("Ъ", "ъ")


def _drop_hard_signs(text):
    return text.replace(_HARD_SIGNS[0], "").replace(_HARD_SIGNS[1], "")


def entry_name_heads(surname, given_names, fold_surname=fold, fold_given=given_skeleton):
    """Name heads a list entry is stored under: one, or two when a Ъ is written IE by
    ICAO and dropped by Tajik passports."""
    heads = []
    head = name_head(surname, given_names, fold_surname, fold_given)
    if head is not None:
        heads.append(head)
    if _HARD_SIGNS[0] in surname + given_names or _HARD_SIGNS[1] in surname + given_names:
        bare = name_head(_drop_hard_signs(surname), _drop_hard_signs(given_names), fold_surname, fold_given)
        if bare is not None and bare not in heads:
            heads.append(bare)
    return heads


def entry_keys(surname, given_names, nationality, number, birth):
    """Keys the builder inserts for one list entry: (document keys, name keys), at the
    entry's own date only."""
    doc = document_key(nationality, number or "", birth)
    return ([] if doc is None else [doc]), [h + "|" + birth for h in entry_name_heads(surname, given_names)]


def _probes(head, births):
    if head is None:
        return []
    return [head + "|" + b for b in births]


def query_keys(surname, given_names, nationality, number, birth):
    """Keys the kiosk looks up for one traveller: (document probes, name probes)."""
    births = compatible_births(birth)
    return (_probes(document_head(nationality, number or ""), births),
            _probes(name_head(surname, given_names), births))


def keyed_nationality(doc):
    """The nationality a parsed ``Document``'s key carries: the printed one, or the issuing
    state where the zone prints none ('<<<': Macau's non-permanent resident card)."""
    return doc.issuing_state if doc.nationality == "<<<" else doc.nationality


def document_query_keys(doc):
    """Probes for a parsed MRZ ``Document``. No surname (a single name, as Indian passports
    print it) gives no name probes: ``name_head`` forms no key without one, on either side."""
    b = doc.birth_date
    birth = birth_key(b.year, b.month, b.day)
    return query_keys(" ".join(doc.surname_parts), " ".join(doc.given_name_parts), keyed_nationality(doc),
                      doc.document_number, birth)
