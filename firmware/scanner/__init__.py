"""The MRZ scanner: byte framings (``framing``), the serial link (``link``) and the
events it gives the kiosk loop (``events``)."""
