"""The bundled offline mirror of the CAC site (`regtrail mirror`, REGTRAIL_MIRROR contract).

`site.build_site()` reconstructs the pages and attachments; `server.start_mirror()` serves them.
"""
