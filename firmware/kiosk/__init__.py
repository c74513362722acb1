"""The kiosk: state machine (``state``), what to show (``screen``), deployment
settings (``config``), the loop that drives them (``loop``) and ``service`` (``safar kiosk``)."""
