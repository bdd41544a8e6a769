"""Server-rendered pages over the services. Thin: parse the request, call a service, render.

Every page needs sign-in. Every form also works as a plain POST followed by a redirect; with
htmx it swaps a fragment instead. One module per area:

- plumbing: sign-in, errors as pages or fragments, safe redirects, reaction bars
- home: the home feed and the composer
- communities: the list, a community's page, membership acts
- threads: a thread and the acts on its posts
- people: the directory, profiles, follows, units, topics
- account: sign in and out, personal access tokens
"""
