"""The checkout screen: scan, ring up, redeem, finalize."""
