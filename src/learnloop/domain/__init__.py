"""Pure domain code over plain data: no I/O, no clock, no global randomness."""
