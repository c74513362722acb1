"""The kiosk: state machine (``state``), what to show (``screen``: the only part
``kiosk_ui`` may import), deployment settings (``config``), the loop that drives
them (``loop``) and ``service`` (``safar kiosk``, which wires in ``kiosk_ui``)."""
