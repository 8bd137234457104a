"""The local lab: an AD FS look-alike IdP and an STS, on loopback only. Never a production IdP.

The product never imports this package; the lab may import the product.
"""
