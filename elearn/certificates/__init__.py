"""Certificates of accreditation records: the PDF, the public verification page, and the signed
Open Badges 3.0 credential (VC-JOSE, Ed25519) with the key set it is checked against."""
