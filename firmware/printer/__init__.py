"""The next-steps slip printer (ESC/POS, ``escpos``): a device, like the scanner and the
I/O board, that the kiosk and the diagnostics both use."""
