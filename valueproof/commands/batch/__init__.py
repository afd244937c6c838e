"""`valueproof batch`: plan the accounts, run them in worker processes, stop cleanly."""
