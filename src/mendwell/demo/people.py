"""Fictional names and contact details: nobody real can be mistaken for a demo client."""

FIRST_NAMES = (
    "Avery",
    "Blake",
    "Casey",
    "Dana",
    "Eli",
    "Frankie",
    "Gale",
    "Harper",
    "Indigo",
    "Jules",
    "Kai",
    "Lane",
    "Morgan",
    "Noor",
    "Oakley",
    "Parker",
    "Quinn",
    "Reese",
    "Sage",
    "Tatum",
    "Uma",
    "Vic",
    "Wren",
    "Xan",
    "Yael",
    "Zuri",
    "Rowan",
    "Sky",
    "Emery",
    "Finley",
)
# Surnames that announce themselves as made up.
SURNAMES = (
    "Example",
    "Sample",
    "Placeholder",
    "Testcase",
    "Fixture",
    "Madeup",
    "Notreal",
    "Pretend",
    "Imaginary",
    "Fictive",
    "Dummy",
    "Specimen",
    "Mockwell",
    "Demoson",
    "Synthetica",
)
RELATIONSHIPS = ("partner", "sibling", "parent", "friend", "adult child")
REFERRAL_SOURCES = (
    "Primary care physician",
    "VA clinic",
    "Self-referral",
    "Psychiatrist",
    "Community clinic",
    "Peer support group",
    "Trauma therapist",
)


def demo_phone(n: int) -> str:
    # 555-0100 to 555-0199 is reserved for fictional use in North America.
    return f"+1 503 555 01{n % 100:02d}"
