"""Complaints: the complaint record of a ticket, its root-cause tree, and repeat complaints."""
