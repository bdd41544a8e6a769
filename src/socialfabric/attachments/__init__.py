"""Files on posts and replies: judged by their content, images with thumbnails, served only
through an access-checked view (docs/attachments.md)."""
