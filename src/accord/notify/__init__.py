"""Notifications: who hears of what happens, in the inbox, by e-mail and by webhook."""
