"""Governance: the rules people accept (policies and community guidelines); moderation,
compliance sign-off, the audit trail, retention and data rights follow (issue 11)."""
