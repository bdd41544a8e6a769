"""The stream's vocabulary: what people do (verbs) and what they do it to (object types).

Free of models, so that code which must not need the database (the insights' file side,
settings) can name acts too.
"""

from __future__ import annotations

from django.db.models import TextChoices


class Verb(TextChoices):
    # Conversations
    POST = "post", "posted"
    REPLY = "reply", "replied"
    EDIT = "edit", "edited a post"
    REMOVE = "remove", "removed a post"
    REACT = "react", "reacted"
    UNREACT = "unreact", "took back a reaction"
    MENTION = "mention", "mentioned"
    ACCEPT_ANSWER = "accept_answer", "accepted an answer"
    CLEAR_ANSWER = "clear_answer", "cleared the accepted answer"
    ATTACH = "attach", "attached files"
    # Communities
    CREATE_COMMUNITY = "create_community", "created a community"
    JOIN = "join", "joined"
    LEAVE = "leave", "left"
    REQUEST_JOIN = "request_join", "asked to join"
    APPROVE_JOIN = "approve_join", "approved a request to join"
    REJECT_JOIN = "reject_join", "rejected a request to join"
    ADD_MEMBER = "add_member", "added a member"
    REMOVE_MEMBER = "remove_member", "removed a member"
    SET_ROLE = "set_role", "changed a role"
    # People and accounts
    FOLLOW = "follow", "followed"
    UNFOLLOW = "unfollow", "stopped following"
    SIGN_IN = "sign_in", "signed in"
    SIGN_OUT = "sign_out", "signed out"
    SET_PASSWORD = "set_password", "set a password"
    DEACTIVATE = "deactivate", "deactivated an account"
    REACTIVATE = "reactivate", "reactivated an account"
    GRANT_ROLE = "grant_role", "granted a role"
    REVOKE_ROLE = "revoke_role", "revoked a role"
    INVITE = "invite", "invited someone"
    ACCEPT_INVITATION = "accept_invitation", "accepted an invitation"
    REVOKE_INVITATION = "revoke_invitation", "revoked an invitation"
    CREATE_TOKEN = "create_token", "created an API token"
    REVOKE_TOKEN = "revoke_token", "revoked an API token"
    UPDATE_PROFILE = "update_profile", "updated their profile"
    IMPORT_PEOPLE = "import_people", "imported people"
    # Notifications
    WATCH = "watch", "changed what they watch"
    SET_NOTIFICATIONS = "set_notifications", "changed how they are notified"
    # Insights
    REQUEST_REPORT = "request_report", "asked for an insights report"
    # Governance
    PUBLISH_POLICY = "publish_policy", "published a policy version"
    ACCEPT_POLICY = "accept_policy", "accepted a policy"
    SUBMIT = "submit", "wrote a post that waits for review"
    FLAG = "flag", "flagged a post"
    DISMISS_FLAGS = "dismiss_flags", "dismissed the flags on a post"
    RELEASE = "release", "released a held post"
    HIDE = "hide", "hid a post"
    RESTORE = "restore", "restored a hidden post"
    WARN = "warn", "warned a member"
    SUSPEND = "suspend", "suspended a member"
    LIFT_SUSPENSION = "lift_suspension", "lifted a suspension"
    ADD_WATCHED_WORD = "add_watched_word", "added a watched word"
    REMOVE_WATCHED_WORD = "remove_watched_word", "removed a watched word"
    SET_APPROVAL_RULE = "set_approval_rule", "set a community's approval rule"
    APPROVE_POST = "approve_post", "approved a post"
    REJECT_POST = "reject_post", "rejected a post"
    RETURN_POST = "return_post", "asked for an edit of a post"
    EXPORT_AUDIT = "export_audit", "exported the audit trail"
    SET_RETENTION = "set_retention", "set a retention rule"
    REMOVE_RETENTION = "remove_retention", "removed a retention rule"
    PLACE_HOLD = "place_hold", "placed a legal hold"
    LIFT_HOLD = "lift_hold", "lifted a legal hold"
    RUN_RETENTION = "run_retention", "ran the retention rules"
    ANONYMISE = "anonymise", "anonymised a post's author"
    ERASE = "erase", "erased a member's personal data"
    EXPORT_DATA = "export_data", "asked for a copy of their data"


class ObjectType(TextChoices):
    POST = "post", "Post"
    COMMUNITY = "community", "Community"
    POLICY = "policy", "Policy"
    JOIN_REQUEST = "join_request", "Request to join"
    MEMBER = "member", "Member"
    TOKEN = "token", "API token"
    IMPORT = "import", "Import"
    REPORT = "report", "Insights report"
    INVITATION = "invitation", "Invitation"
    SUSPENSION = "suspension", "Suspension"
    WATCHED_WORD = "watched_word", "Watched word"
    RETENTION_RULE = "retention_rule", "Retention rule"
    LEGAL_HOLD = "legal_hold", "Legal hold"
    RETENTION_RUN = "retention_run", "Retention run"
    DATA_EXPORT = "data_export", "Data export"
