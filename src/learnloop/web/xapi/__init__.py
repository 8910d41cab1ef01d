"""The xAPI 1.0.3 LRS endpoint (/xapi/)."""
