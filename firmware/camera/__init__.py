"""The camera reading path: a frame -> the MRZ's lines -> characters (a small TFLite model)
-> the same MRZ parser and no-guess rules as the serial scanner (docs/camera.md)."""
