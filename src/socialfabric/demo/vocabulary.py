"""The demo organisation's shape and words: units, executives, stakeholders, names, communities,
subjects and sentences. Data only; the generator draws from it."""

from __future__ import annotations

import itertools

# (name, parent, share of employees, theme)
UNITS: list[tuple[str, str | None, float, str]] = [
    ("Executive Office", None, 0.015, "company"),
    ("Engineering", "Executive Office", 0.13, "engineering"),
    ("Platform Engineering", "Engineering", 0.11, "engineering"),
    ("Data & Analytics", "Engineering", 0.06, "data"),
    ("Product Management", "Executive Office", 0.07, "product"),
    ("Sales", "Executive Office", 0.10, "sales"),
    ("Inside Sales", "Sales", 0.07, "sales"),
    ("Marketing", "Executive Office", 0.07, "marketing"),
    ("Customer Success", "Executive Office", 0.12, "customer"),
    ("Operations", "Executive Office", 0.07, "operations"),
    ("Supply Chain", "Operations", 0.06, "operations"),
    ("Finance", "Executive Office", 0.05, "finance"),
    ("People & Culture", "Executive Office", 0.045, "people"),
]
# Level-1 executives and the units whose heads report to them.
EXECUTIVES: list[tuple[str, list[str]]] = [
    ("Chief Executive Officer", ["Executive Office", "Product Management"]),
    ("Chief Technology Officer", ["Engineering", "Platform Engineering", "Data & Analytics"]),
    ("Chief Revenue Officer", ["Sales", "Inside Sales", "Marketing", "Customer Success"]),
    ("Chief Operating Officer", ["Operations", "Supply Chain", "People & Culture"]),
    ("Chief Financial Officer", ["Finance"]),
]
EXTERNAL_SHARES = [("customer", 0.10), ("partner", 0.03), ("supplier", 0.02), ("shareholder", 0.005), ("public", 0.005)]
# fmt: off
ORGANISATIONS = {
    "customer": [
        "Acme Retail", "Bluewater Logistics", "Cedar Health", "Delta Foods", "Elm Street Bank", "Fjord Energy",
        "Granite Insurance", "Harbor Hotels", "Iris Pharma", "Juniper Schools", "Kestrel Airlines", "Lumen Media",
        "Maple Telecom", "Nimbus Games", "Orchid Fashion", "Pinecrest Council", "Quartz Motors",
        "Riverbend Hospital", "Summit Outdoor", "Tidewater Ports",
    ],
    "partner": [
        "Brightpath Consulting", "Cobalt Integrations", "Meridian Systems", "Northstar Resellers",
        "Oakline Partners", "Vector Cloud",
    ],
    "supplier": [
        "Apex Components", "Bolt Packaging", "Crane Freight", "Dyna Textiles", "Evergreen Paper", "Forge Metals",
    ],
    "shareholder": [
        "Evergreen Capital", "Harbour Pension Fund", "",
    ],
    "public": [
        "",
    ],
}
FIRST = [
    "Alice", "Amara", "Ana", "Andrei", "Anil", "Aïsha", "Ben", "Bjørn", "Carla", "Chen", "Chloé", "Dario", "David",
    "Dmitri", "Elena", "Emeka", "Emma", "Fatima", "Felix", "Grace", "Hana", "Hugo", "Ines", "Ivan", "Jamal",
    "James", "Jia", "José", "Julia", "Kai", "Karin", "Kofi", "Lara", "Leo", "Lina", "Łukasz", "Maria", "Mateo",
    "Maya", "Mei", "Mohammed", "Nadia", "Nikhil", "Nina", "Noah", "Olga", "Omar", "Paula", "Pedro", "Priya",
    "Rafael", "Rania", "Rosa", "Ruth", "Sam", "Sara", "Sofia", "Søren", "Tariq", "Teresa", "Tom", "Uma", "Victor",
    "Wei", "Yara", "Yusuf", "Zoë", "Zara",
]
LAST = [
    "Adams", "Ahmed", "Alvarez", "Andersen", "Baker", "Banerjee", "Becker", "Brown", "Campbell", "Chen", "Costa",
    "Dubois", "Eriksen", "Fischer", "Garcia", "Gómez", "Hansen", "Hernández", "Ito", "Jansen", "Kaur", "Khan",
    "Kim", "Kowalski", "Larsen", "Lee", "Lopez", "Martin", "Mensah", "Moreau", "Müller", "Nakamura", "Nguyen",
    "Novak", "Okafor", "Olsen", "Patel", "Pereira", "Petrov", "Quinn", "Rossi", "Santos", "Schmidt", "Silva",
    "Singh", "Smith", "Tanaka", "Taylor", "Van Dijk", "Wagner", "Walsh", "Wang", "Weber", "Williams", "Wójcik",
    "Yilmaz", "Young", "Zhang",
]
# Communities: (name, visibility, audience, external kinds, theme, home units or "*", purpose)
TOPICAL = [
    (
        "Product Ideas", "open", "internal", [], "product",
        ["Product Management", "Engineering", "Customer Success"], "Ideas for what we build next.",
    ),
    (
        "Engineering Guild", "open", "internal", [], "engineering",
        ["Engineering", "Platform Engineering", "Data & Analytics"], "Craft, tools and practices.",
    ),
    (
        "Data Science Guild", "open", "internal", [], "data", ["Data & Analytics", "Engineering"],
        "Models, metrics and data quality.",
    ),
    (
        "Security Champions", "open", "internal", [], "engineering",
        ["Platform Engineering", "Engineering", "Operations"], "Keeping us and our customers safe.",
    ),
    (
        "Release Train", "open", "internal", [], "engineering",
        ["Platform Engineering", "Engineering", "Product Management"], "What ships when.",
    ),
    (
        "Sales Enablement", "open", "internal", [], "sales", ["Sales", "Inside Sales", "Marketing"],
        "Playbooks, pitches and wins.",
    ),
    ("Brand & Campaigns", "open", "internal", [], "marketing", ["Marketing", "Sales"], "Our voice, our campaigns."),
    (
        "Customer Insights", "open", "internal", [], "customer",
        ["Customer Success", "Product Management", "Marketing"], "What customers tell us.",
    ),
    (
        "Process Excellence", "open", "internal", [], "operations", ["Operations", "Supply Chain", "Finance"],
        "Doing things better, step by step.",
    ),
    (
        "Budget Planning", "closed", "internal", [], "finance", ["Finance", "Executive Office"],
        "Plans, forecasts and approvals.",
    ),
    (
        "Learning & Development", "open", "internal", [], "people", ["People & Culture"],
        "Courses, mentoring and growth.",
    ),
    ("Onboarding Buddies", "open", "internal", [], "people", ["People & Culture"], "Helping newcomers settle."),
    ("Remote Work", "open", "internal", [], "social", "*", "Working well from anywhere."),
    (
        "Sustainability Network", "open", "internal", [], "operations", ["Operations", "Supply Chain"],
        "Greener operations.",
    ),
    ("Running Club", "open", "internal", [], "social", "*", "Lunchtime runs and races."),
    ("Book Club", "open", "internal", [], "social", "*", "One book a month."),
    (
        "Innovation Lab", "open", "internal", [], "product",
        ["Product Management", "Engineering", "Data & Analytics"], "Experiments and prototypes.",
    ),
    (
        "Customer Voice", "open", "mixed", ["customer"], "customer", ["Customer Success", "Product Management"],
        "Customers and our teams in one conversation.",
    ),
    (
        "Support Q&A", "open", "mixed", ["customer"], "customer", ["Customer Success", "Platform Engineering"],
        "Ask us anything about the product.",
    ),
    (
        "Beta Program", "closed", "mixed", ["customer", "partner"], "product",
        ["Product Management", "Engineering"], "Early access and feedback.",
    ),
    ("Partner Network", "open", "mixed", ["partner"], "sales", ["Sales", "Marketing"], "Our partners and us."),
    (
        "Partner Solutions Desk", "closed", "mixed", ["partner"], "sales",
        ["Sales", "Inside Sales", "Engineering"], "Joint solutions and deals.",
    ),
    (
        "Supplier Hub", "open", "mixed", ["supplier"], "operations", ["Supply Chain", "Operations"],
        "Working with our suppliers.",
    ),
    (
        "Supplier Quality Council", "closed", "mixed", ["supplier"], "operations", ["Supply Chain"],
        "Quality reviews with key suppliers.",
    ),
    (
        "Investor Relations", "closed", "mixed", ["shareholder"], "finance", ["Finance", "Executive Office"],
        "Results and questions from shareholders.",
    ),
    (
        "Open Forum", "open", "mixed", ["customer", "partner", "supplier", "shareholder", "public"], "company",
        ["Marketing", "Customer Success"], "Everyone who cares about Northwind.",
    ),
]
CLOSED_UNIT_ROOMS = {'Finance', 'Executive Office', 'People & Culture'}
SUBJECTS = {
    "company": [
        "our strategy for next year", "the quarterly results", "the new office opening", "our values",
        "the all-hands agenda", "the customer promise", "how we make decisions", "the annual survey",
    ],
    "engineering": [
        "the deployment pipeline", "flaky integration tests", "the API versioning plan", "on-call rotations",
        "the database upgrade", "code review habits", "the build times", "observability dashboards",
        "the mobile release",
    ],
    "data": [
        "the churn model", "data quality checks", "the metrics catalogue", "dashboard performance",
        "the forecasting approach", "experiment design", "the warehouse migration",
    ],
    "product": [
        "the roadmap for next quarter", "the onboarding flow", "pricing tiers", "the beta feedback",
        "feature requests from retail customers", "the search experience", "usage analytics",
    ],
    "sales": [
        "the renewal playbook", "pipeline reviews", "the new pricing deck", "partner-sourced deals",
        "competitive objections", "the enterprise pilot", "territory planning",
    ],
    "marketing": [
        "the spring campaign", "our brand guidelines", "the customer stories series", "event planning",
        "newsletter results", "the website refresh",
    ],
    "customer": [
        "response times", "the support knowledge base", "invoice exports", "single sign-on setup",
        "data import errors", "the mobile app sync", "user permissions", "report scheduling",
    ],
    "operations": [
        "supplier lead times", "the warehouse layout", "packaging waste", "freight costs", "quality audits",
        "the new planning tool", "safety checks",
    ],
    "finance": [
        "the budget cycle", "expense approvals", "the audit timeline", "the forecast update", "travel policy",
        "invoice processing",
    ],
    "people": [
        "the mentoring programme", "the hiring plan", "learning budgets", "the onboarding checklist",
        "flexible hours", "the engagement survey",
    ],
    "social": [
        "the charity run", "favourite podcasts", "home office setups", "this month's book", "the summer party",
        "volunteering days",
    ],
}
THEME_TOPICS = {
    "company": [
        "strategy", "results", "values", "allhands",
    ],
    "engineering": [
        "release", "security", "api", "performance", "devops",
    ],
    "data": [
        "data-quality", "metrics", "ai", "forecasting",
    ],
    "product": [
        "roadmap", "feedback", "beta", "pricing", "ux",
    ],
    "sales": [
        "pipeline", "renewals", "partnerships", "pricing",
    ],
    "marketing": [
        "campaigns", "brand", "events", "stories",
    ],
    "customer": [
        "support", "onboarding", "integration", "feedback",
    ],
    "operations": [
        "logistics", "quality", "sustainability", "automation",
    ],
    "finance": [
        "budget", "compliance", "forecasting",
    ],
    "people": [
        "hiring", "learning", "wellbeing", "diversity",
    ],
    "social": [
        "wellbeing", "remote-work", "community",
    ],
}
OPENERS = [
    "Sharing a few thoughts on {s}.", "Has anyone looked at {s} lately?", "A quick update on {s}.",
    "I would like to start a conversation about {s}.", "Here is what we learned about {s} this week.",
    "We have been rethinking {s}.", "Some good news about {s}.", "I keep hearing questions about {s}.",
]
DETAILS = [
    "We tried a small pilot first and the results look promising.", "The numbers from last month surprised me.",
    "There are two options on the table and both have trade-offs.",
    "It took longer than planned, mostly because of dependencies on other teams.",
    "Customers mentioned it in three calls this week.", "The draft is in the shared folder; comments are welcome.",
    "We measured before and after, and the difference is clear.", "A few people already volunteered to help.",
    "The old way worked, but it does not scale with our growth.",
    "Nothing is decided yet; this is an early sketch.", "We need input from sales and support before we commit.",
    "It is a small change with a big effect on daily work.",
]
CLOSERS = [
    "What do you think?", "Happy to hear other views.", "Let me know if you want to help.",
    "Comments welcome before Friday.", "Thanks to everyone who contributed.", "More soon.",
]
Q_TITLES = [
    "How do we handle {s}?", "Where can I find the latest on {s}?", "Who owns {s}?",
    "Is there a workaround for {s}?", "Any advice on {s}?", "What changed with {s}?",
]
Q_BODIES = [
    "I am trying to understand {s} and could not find an answer in the docs.",
    "Quick question about {s}: is there a recommended approach?",
    "We are planning work that depends on {s}. Who can help?",
]
CUSTOMER_Q = [
    "Our team at {org} is seeing a problem with {s}. Is this a known issue?",
    "At {org} we rely on {s} every day. How should we set it up for a second site?",
    "Since last week {s} behaves differently for us at {org}. Can someone take a look?",
]
A_TITLES = [
    "Update: {S}", "Announcing changes to {s}", "{S}: what happens next", "News about {s}",
]
A_BODIES = [
    "I am pleased to share news about {s}.", "Starting next month, {s} changes for everyone.",
    "Thank you all for the work on {s}; here is where we stand.",
]
D_TITLES = [
    "Thoughts on {s}", "Let's talk about {s}", "{S}: lessons so far", "Ideas for {s}", "Improving {s}",
]
REPLIES = [
    "Agreed, this matches what we see.", "I can help with this.", "We ran into the same thing last quarter.",
    "Thanks for sharing!", "Could you say more about the timeline?", "This is exactly what customers ask about.",
    "Good point. Our team has notes on this.", "Interesting, I had not thought of that.",
    "Can we discuss this in the next review?", "Counting me in.", "I would add one thing: keep it simple.",
    "Nice work, everyone.",
]
ANSWERS = [
    "You can find it in the knowledge base under {s}.",
    "The owner is the {unit} team; they answered a similar question last week.",
    "Try re-running the export; that fixed it for us.", "There is a fix on the way; it ships next week.",
    "Yes, that is expected. The setting moved to the admin page.",
    "I checked with the team: it is a known issue and we are on it.",
]
# fmt: on
REACTION_KINDS = ["like", "insightful", "celebrate", "support", "curious"]
REACTION_CUM = list(itertools.accumulate([60, 12, 10, 10, 8]))
ANNOUNCE_REACTION_CUM = list(itertools.accumulate([45, 8, 35, 10, 2]))
