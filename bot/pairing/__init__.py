"""Partner matching: pair frontend and backend learners for the best round as a whole.

`model`, `scoring`, `matching`, `timezones` and `simulate` are a pure core (plain values in and
out); `service` keeps the pool, rounds and check-ins in the database.
"""
