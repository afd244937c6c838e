"""The language floor: translations, number and date formatting, and the words kit every
renderer speaks with. Imports nothing of valueproof above it."""
