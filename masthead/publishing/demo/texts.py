"""The demo outlet's identity, sections, people and plain pages, as data.

Everything here is invented: the outlet, the town of Wennmouth on the River Brannock, the
Brannock Vale district, and every person and organisation named. Links point at example
domains or at made-up handles, and are never fetched.
"""

OUTLET = {
    "name": "The Riverside Ledger",
    "strapline": "Independent, reader-funded news for Wennmouth and the Brannock Vale",
    "description": (
        "The Riverside Ledger is a not-for-profit newsroom covering Wennmouth and the "
        "Brannock Vale. We are funded by our readers, publish our sources and correct our "
        "mistakes in public."
    ),
    "contact_email": "newsroom@riversideledger.example",
    "founding_year": 2019,
    "credit": "Illustration: The Riverside Ledger",
    "social": {
        "x": "https://x.com/riversideledger",
        "facebook": "https://www.facebook.com/riversideledger",
        "instagram": "https://www.instagram.com/riversideledger",
        "bluesky": "https://bsky.app/profile/riversideledger.example",
        "mastodon": "https://social.example/@riversideledger",
        "threads": "https://www.threads.net/@riversideledger",
        "youtube": "https://www.youtube.com/@riversideledger",
        "tiktok": "https://www.tiktok.com/@riversideledger",
    },
    "newsletter_url": "/newsletter/",
    "donate_url": "/support/",
}

SECTIONS = [
    {
        "slug": "news",
        "title": "News",
        "introduction": "What is happening across Wennmouth and the Brannock Vale, and why.",
    },
    {
        "slug": "local",
        "title": "Local",
        "introduction": "Streets, schools, gardens and the people who keep them going.",
    },
    {
        "slug": "world",
        "title": "World",
        "introduction": "Where the wider world meets the valley, and what we can learn from it.",
    },
    {
        "slug": "opinion",
        "title": "Opinion",
        "introduction": "Argument from our writers and readers, clearly labelled as opinion.",
    },
    {
        "slug": "culture",
        "title": "Culture",
        "introduction": "Theatre, music, books and the valley's festivals.",
    },
]

AUTHOR_INDEX = {
    "slug": "authors",
    "title": "Our writers",
    "introduction": "The staff and volunteer contributors who report for The Riverside Ledger.",
}

AUTHORS = [
    {
        "key": "maya",
        "name": "Maya Pennington",
        "role": "Editor",
        "bio": (
            "Maya edits The Riverside Ledger. She worked on regional papers for twelve years "
            "before helping to found the Ledger, and still covers the district council's "
            "budget every year because she enjoys a spreadsheet."
        ),
        "handle": "mayapennington",
        "public_email": "maya@riversideledger.example",
    },
    {
        "key": "tom",
        "name": "Tom Adebayo-Hart",
        "role": "Local democracy reporter",
        "bio": (
            "Tom reports on the district and town councils, planning and public services. "
            "He sits through the committee meetings so that you do not have to."
        ),
        "handle": "tomadebayohart",
        "public_email": "tom@riversideledger.example",
    },
    {
        "key": "rhiannon",
        "name": "Rhiannon Clarke",
        "role": "Transport and environment reporter",
        "bio": (
            "Rhiannon covers buses, roads, the river and the weather that fills it. She "
            "cycles to most stories and takes the 14 bus to the rest."
        ),
        "handle": "rhiannonclarke",
        "public_email": "rhiannon@riversideledger.example",
    },
    {
        "key": "samir",
        "name": "Samir Dhillon",
        "role": "Data and analysis editor",
        "bio": (
            "Samir turns council papers, surveys and public datasets into stories. He "
            "publishes his workings alongside every analysis piece."
        ),
        "handle": "samirdhillon",
        "public_email": "samir@riversideledger.example",
    },
    {
        "key": "gwen",
        "name": "Gwen Allard",
        "role": "Volunteer contributor (culture)",
        "bio": (
            "Gwen is a retired music teacher who reviews theatre and concerts for the Ledger "
            "as a volunteer. She has sung with three of the valley's choirs."
        ),
        "handle": "gwenallard",
        "public_email": "",
    },
    {
        "key": "owen",
        "name": "Owen Fairlie",
        "role": "Volunteer contributor (community)",
        "bio": (
            "Owen volunteers at the Ferry Lane community garden and writes about the groups "
            "that keep Wennmouth's neighbourhoods going."
        ),
        "handle": "owenfairlie",
        "public_email": "",
    },
]

# The demo's ``contributor`` account writes as this author.
CONTRIBUTOR_AUTHOR_KEY = "gwen"

USERS = [
    {
        "username": "admin",
        "email": "admin@example.com",
        "first_name": "Demo",
        "last_name": "Administrator",
        "superuser": True,
        "group": None,
    },
    {
        "username": "editor",
        "email": "editor@example.com",
        "first_name": "Demo",
        "last_name": "Editor",
        "superuser": False,
        "group": "Editors",
    },
    {
        "username": "contributor",
        "email": "contributor@example.com",
        "first_name": "Demo",
        "last_name": "Contributor",
        "superuser": False,
        "group": "Contributors",
    },
]

STANDARD_PAGES = [
    {
        "slug": "about",
        "title": "About us",
        "introduction": (
            "The Riverside Ledger is an independent, not-for-profit newsroom for Wennmouth "
            "and the Brannock Vale, paid for by the people who read it."
        ),
        "body": [
            (
                "paragraph",
                (
                    "We started in 2019, when the valley's last weekly paper closed and nobody was "
                    "left to sit in the public gallery at the council. A handful of former "
                    "reporters, a retired accountant and a group of volunteers decided that the "
                    "town deserved someone who would read the papers, ask the questions and write "
                    "down the answers."
                ),
            ),
            ("heading", "Who pays for us"),
            (
                "paragraph",
                (
                    "Most of our income comes from readers who give a few pounds a month. We also "
                    "sell a small range of merchandise and accept grants from charitable trusts "
                    "that do not try to influence what we write. We do not carry advertising, and "
                    "we publish a breakdown of where our money comes from every year."
                ),
            ),
            ("heading", "Who we are"),
            (
                "paragraph",
                (
                    "We have three paid staff, a data editor who works with us two days a week, "
                    "and around twenty volunteer contributors. Every article carries the name of "
                    "the person who wrote it, and you can read about each of them on our writers' "
                    "pages."
                ),
            ),
            (
                "callout",
                {
                    "title": "Get involved",
                    "items": [
                        "Tell us about a story: newsroom@riversideledger.example",
                        "Volunteer as a contributor or a proofreader",
                        "Support us with a monthly donation",
                    ],
                    "tone": "key",
                },
            ),
        ],
    },
    {
        "slug": "editorial-standards",
        "title": "Editorial standards",
        "introduction": "How we report, how we check, and what we do when we get it wrong.",
        "body": [
            (
                "paragraph",
                (
                    "We aim to be accurate, fair and open about how we work. These standards apply "
                    "to everyone who writes for us, whether they are paid staff or volunteers."
                ),
            ),
            ("heading", "Accuracy and sources"),
            (
                "paragraph",
                (
                    "We check facts with at least one independent source before we publish, and "
                    "we link to the documents we rely on. Each article lists its main sources at "
                    "the end. When we cannot name a source, we explain why."
                ),
            ),
            ("heading", "Opinion and analysis"),
            (
                "paragraph",
                (
                    "Opinion pieces are labelled as opinion and are the view of the writer, not of "
                    "the Ledger. Analysis pieces explain what the evidence shows and show their "
                    "workings; they do not tell you what to think."
                ),
            ),
            ("heading", "Corrections"),
            (
                "paragraph",
                (
                    "When we get something wrong we correct it promptly, say what we changed and "
                    "when, and list every correction on our corrections page. To report an error, "
                    "email corrections@riversideledger.example."
                ),
            ),
            ("heading", "Independence"),
            (
                "paragraph",
                (
                    "No donor, grant-maker or sponsor sees our journalism before it is published. "
                    "Staff and volunteers declare any interest in a story they work on, and step "
                    "back from stories where the interest is significant."
                ),
            ),
        ],
    },
    {
        "slug": "contact",
        "title": "Contact us",
        "introduction": "How to reach the newsroom, report an error or send us a story.",
        "body": [
            (
                "paragraph",
                (
                    "The quickest way to reach us is by email at "
                    "newsroom@riversideledger.example. We read everything, and we reply to "
                    "everyone who asks a question, though it may take a few days."
                ),
            ),
            ("heading", "Corrections"),
            (
                "paragraph",
                (
                    "If you think we have made a mistake, please write to "
                    "corrections@riversideledger.example and tell us which article and what you "
                    "think is wrong."
                ),
            ),
            ("heading", "By post"),
            (
                "paragraph",
                (
                    "The Riverside Ledger, Unit 4, The Old Ropeworks, Quay Street, Wennmouth. "
                    "The office is staffed on Tuesday and Thursday mornings."
                ),
            ),
        ],
    },
    {
        "slug": "privacy",
        "title": "Privacy",
        "introduction": "What we know about you, why, and for how long. In short: very little.",
        "body": [
            (
                "paragraph",
                (
                    "This website does not use advertising, tracking pixels, third-party "
                    "analytics or remote fonts. Reading our journalism does not require an "
                    "account, and we do not build profiles of our readers."
                ),
            ),
            ("heading", "What we keep"),
            (
                "callout",
                {
                    "title": "The data we hold",
                    "items": [
                        "Newsletter subscribers: your email address, when and how you agreed to "
                        "hear from us, and which newsletters you chose",
                        "Donors: your name, email address and donation history; card and bank "
                        "details are held by our payment provider, never by us",
                        "Shop customers: your name, delivery address and order history",
                        "Server logs: kept for 14 days to protect the site from abuse",
                    ],
                    "tone": "info",
                },
            ),
            ("heading", "Cookies"),
            (
                "paragraph",
                (
                    "We set a cookie only when you sign in, fill in a basket or make a donation, "
                    "and only to make that work. We do not set cookies for measuring or "
                    "advertising."
                ),
            ),
            ("heading", "Your rights"),
            (
                "paragraph",
                (
                    "You can ask for a copy of the information we hold about you, ask us to "
                    "correct it, or ask us to delete it, by writing to "
                    "privacy@riversideledger.example. Every email we send has a link to "
                    "unsubscribe at once."
                ),
            ),
        ],
    },
]

CORRECTIONS_PAGE = {
    "slug": "corrections",
    "title": "Corrections and clarifications",
    "introduction": (
        "<p>We try hard to get things right, and when we do not, we say so here. Every "
        "correction and update we have made to an article is listed below, newest first. "
        "To report an error, email corrections@riversideledger.example.</p>"
    ),
}
