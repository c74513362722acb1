"""The ICAO Doc 9303 specimen zones (Parts 4-7), with the fields they must yield.

Used by the tests, the scanner emulator (``--specimens``) and the demo.
"""

from __future__ import annotations

SPECIMENS: dict[str, dict[str, object]] = {
    # Part 4, Appendix A: the passport (TD3) of Anna Maria Eriksson.
    "TD3": {
        "lines": [
            "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
            "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
        ],
        "document_number": "L898902C3", "birth": "1974-08-12", "expiry": "2012-04-15",
        "optional_data": "ZE184226B",
    },
    # Part 5, Appendix: TD1 identity card.
    "TD1": {
        "lines": [
            "I<UTOD231458907<<<<<<<<<<<<<<<",
            "7408122F1204159UTO<<<<<<<<<<<6",
            "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
        ],
        "document_number": "D23145890", "birth": "1974-08-12", "expiry": "2012-04-15",
        "optional_data": "",
    },
    # Part 5: TD1 with a document number longer than 9 characters (8th edition):
    # '<' at the check-digit position, the rest and its check digit in the optional data.
    "TD1-long": {
        "lines": [
            "I<UTOD23145890<7349<<<<<<<<<<<",
            "7408122F1204159UTO<<<<<<<<<<<6",
            "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
        ],
        "document_number": "D23145890734", "birth": "1974-08-12", "expiry": "2012-04-15",
        "optional_data": "",
    },
    # Part 6, Appendix: TD2.
    "TD2": {
        "lines": [
            "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
            "D231458907UTO7408122F1204159<<<<<<<6",
        ],
        "document_number": "D23145890", "birth": "1974-08-12", "expiry": "2012-04-15",
        "optional_data": "",
    },
    # Part 7, Appendix: MRV-A visa.
    "MRVA": {
        "lines": [
            "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
            "L8988901C4XXX4009078F96121096ZE184226B<<<<<<",
        ],
        "document_number": "L8988901C", "birth": "1940-09-07", "expiry": "1996-12-10",
        "optional_data": "6ZE184226B",
    },
    # Part 7, Appendix: MRV-B visa.
    "MRVB": {
        "lines": [
            "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
            "L8988901C4XXX4009078F9612109<<<<<<<<",
        ],
        "document_number": "L8988901C", "birth": "1940-09-07", "expiry": "1996-12-10",
        "optional_data": "",
    },
}


def specimen_lines() -> list[list[str]]:
    """The ICAO specimens' zones, one list of lines each, for tests and benchmarks."""
    return [list(s["lines"]) for s in SPECIMENS.values()]  # type: ignore[call-overload]
