"""`salonbot demo`: the whole loop offline, on a simulated community (see docs/demo.md)."""
