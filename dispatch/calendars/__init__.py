"""Business calendars: working hours per weekday, a time zone, holidays and make-up working days."""
