"""The vendor's portfolio view: every account's results pooled (`model`), told in words
(`story`), drawn as forest plots (`forest`) and rendered as a PDF/HTML (`render`).

Vendor-internal: account names appear here and nowhere in a customer's report.
"""
