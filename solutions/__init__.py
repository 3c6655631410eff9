"""Reference solutions for CS2109s Tutorial 9 (CNN and RNN), one self-contained module each."""
