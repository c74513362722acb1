"""The top of the kiosk's software: the deployment's settings (``config``), the one
composition root that wires the kiosk over its devices (``compose``: for ``safar kiosk``,
the demo and the benchmark alike), and the command lines of the firmware's packages
(``*_cli``), which read those settings. Nothing below imports from here."""
