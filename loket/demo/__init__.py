"""The Karawang demo: office, accounts, sample bookings, office day and outreach
(`manage.py load_demo`). It fills every app, so it sits on the top floor."""
