"""Synthetic communities: members, chat, salons and signups with a planted model."""
