"""Dialogs opened from the checkout screen: receipts, history, manager tasks."""
