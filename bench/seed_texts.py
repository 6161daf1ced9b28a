"""What the seeded association writes: names, and grievance texts per category.

Texts are assembled from fragments, so 100,000 cases are not 100,000 copies of one sentence
and their ciphertexts have the lengths real ones do (a narrative of a few hundred words).
"""

from __future__ import annotations

import random

FIRST = [
    "Amara",
    "Ben",
    "Chloé",
    "Dae-jung",
    "Elena",
    "Farid",
    "Grace",
    "Hiroshi",
    "Ingrid",
    "Jamal",
    "Kateryna",
    "Liam",
    "Mei",
    "Nadia",
    "Omar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Viktor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zofia",
    "Min-jun",
    "Seo-yeon",
    "Ji-ho",
    "Hana",
    "Tomás",
    "Aoife",
    "Kwame",
    "Leila",
    "Mateo",
    "Noor",
    "Pavel",
    "Rania",
    "Santiago",
    "Thandiwe",
]
LAST = [
    "Okafor",
    "Hartley",
    "Martin",
    "Park",
    "Rossi",
    "Haddad",
    "O'Neill",
    "Tanaka",
    "Larsen",
    "Reed",
    "Shevchenko",
    "Byrne",
    "Chen",
    "Kim",
    "Lee",
    "Choi",
    "Jung",
    "Kang",
    "Novak",
    "Silva",
    "Mensah",
    "Dubois",
    "Nakamura",
    "Kowalski",
    "Hansen",
    "Ibrahim",
    "Costa",
    "Fischer",
    "Walsh",
    "Karim",
    "Adeyemi",
    "Lindqvist",
    "Moreau",
    "Petrov",
    "Quinn",
    "Suzuki",
    "Yilmaz",
    "Zhang",
]

SUBJECTS = {
    "ethics": [
        "Conflict of interest in a tender",
        "Misleading CPD claims by a colleague",
        "Colleague presenting my work as his own",
        "Officer using the association's name for private business",
    ],
    "harassment": [
        "Harassed at the regional meeting",
        "Bullying by a branch officer",
        "Inappropriate comments at the conference dinner",
        "Discriminated against in the mentoring scheme",
    ],
    "billing": [
        "Charged twice for this year's dues",
        "Late fee charged although I paid on time",
        "Refund for a cancelled direct debit",
        "Card surcharge on my renewal",
    ],
    "benefits": [
        "Insurance benefit refused as a late claim",
        "Wrong address in the members' directory",
        "Journal subscription stopped without notice",
        "Advice line never called back",
    ],
    "events": [
        "Conference cancelled, no refund",
        "Seminar certificate never arrived",
        "CPD credits missing for the spring workshop",
        "Exam results sent to the wrong person",
    ],
    "governance": [
        "Ballot papers did not arrive",
        "Annual meeting minutes not published",
        "Branch election held without notice",
        "Board decision taken without a quorum",
    ],
    "privacy": [
        "My details shared with a sponsor",
        "Membership list sent to the wrong address",
        "Photo published without my consent",
        "Old records not deleted after I asked",
    ],
}

OPENINGS = [
    "I am writing because of something that happened on {when} and has not been put right.",
    "Since {when} I have tried to sort this out through the office, without success.",
    "This concerns a matter I first raised informally on {when}.",
    "I would like the committee to look at what happened on {when}.",
]
MIDDLES = [
    "I wrote to the office twice and phoned once; each time I was told someone would come "
    "back to me within a week, and nobody did.",
    "A colleague who was present can confirm what was said, and I kept the emails that followed.",
    "The explanation I was given does not match the rules published on the website, which "
    "I have read again carefully.",
    "I understand mistakes happen, but the way this was handled made it worse, and other "
    "members in my branch have told me the same thing happened to them.",
    "I have attached what I could find, and I can send the rest if the committee needs it.",
    "It has cost me time at work and, frankly, some confidence in how the association treats "
    "its members.",
    "When I asked who was responsible I was passed from one person to another.",
]
CLOSINGS = [
    "I would be grateful for a clear answer and for the matter to be corrected.",
    "Please let me know what else you need from me.",
    "I hope this can be resolved without it going further.",
    "Thank you for taking the time to read this.",
]
OUTCOMES = [
    "A refund and a written explanation.",
    "An apology and an assurance that the procedure will be followed in future.",
    "The record corrected and confirmation in writing.",
    "That the committee looks into it and tells me what it found.",
]
REPLIES = [
    "Thank you for your grievance. I am the reviewer handling it and I am reading it now.",
    "Thank you; we are looking into this and have asked the office for its records.",
    "We have spoken to the people involved and will write again once we have their accounts.",
    "Could you tell us the date of your first email to the office, and who replied?",
]
MEMBER_REPLIES = [
    "Thank you. My first email was on the 3rd; I have attached the reply I received.",
    "Here is the statement you asked for. Please tell me if anything else is needed.",
    "I have nothing to add, but I am glad this is being looked at.",
]
NOTES = [
    "Office records requested; the finance team says a week.",
    "Spoke to the branch secretary, who remembers the meeting differently. Minutes requested.",
    "Similar complaint last year about the same process; worth checking the outcome.",
    "Member is anxious about being identified; keep contact through the portal only.",
]
RATIONALES = [
    "The records show the charge was applied in error; the procedure was not followed.",
    "We found no breach of the code: the decision was taken by the correct body on time.",
    "Part of the complaint is upheld: the delay was ours, the amount itself was correct.",
]


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def subject(rng: random.Random, category: str) -> str:
    return rng.choice(SUBJECTS.get(category, SUBJECTS["benefits"]))


def _bodies(count: int = 16) -> list[tuple[str, ...]]:
    rng = random.Random(5)
    return [tuple(rng.sample(MIDDLES, rng.randint(2, 5))) for _ in range(count)]


# A fixed few bodies, so triage's answer for a subject and body is computed once per process.
BODIES = _bodies()


def middle(rng: random.Random) -> tuple[str, ...]:
    """The middle sentences of a narrative: one of BODIES."""
    return rng.choice(BODIES)


def narrative(rng: random.Random, when: str, middle: tuple[str, ...]) -> str:
    return " ".join([rng.choice(OPENINGS).format(when=when), *middle, rng.choice(CLOSINGS)])
