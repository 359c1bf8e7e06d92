"""Area profiles for Midlands partners: one document per local authority, combined authority, county and ITL area."""
