"""The kiosk's service port: a framed, checksummed, resumable protocol to receive a list
repository over a serial cable (``protocol`` is pure; ``server`` runs on the kiosk;
``host_tools.flash`` is the technician's side)."""
