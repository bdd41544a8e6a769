"""Running an installation: the production server (`serve`), backups (`backup`, `restore`).
See docs/deploy.md."""
