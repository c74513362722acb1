"""The kiosk as the fleet's monitoring sees it: a node_exporter textfile (``health``),
written from the loop's ``firmware.kiosk.status.KioskStatus``. It sits beside
``kiosk_ui``: both show the kiosk, one to travellers, one to the people who run a fleet."""
