"""Learning the team from its own history: import tickets, discover intent buckets, train the router.

``model`` (loading a trained router; numpy only, lazily) is what a session uses; ``history``, ``train``
and ``discover`` are what ``assist learn`` and the Learn window use (scikit-learn, imported only there).
"""
