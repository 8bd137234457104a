"""Browser sign-in: the user's own Chrome, Chromium or Edge, driven over the DevTools protocol on a pipe.

``locate`` finds the browser, ``profile`` owns its private profile folder, ``trust`` turns a CA bundle into
what Chromium accepts, ``pipe`` speaks CDP over fds 3/4, ``acs`` recognises the SAML post to AWS, and
``signin`` runs one sign-in. Nothing here downloads a browser.
"""
