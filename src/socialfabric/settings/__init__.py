"""Settings profiles: `local` (the default: development and tests) and `production`, both on
`base`. Choose one with DJANGO_SETTINGS_MODULE (docs/architecture.md)."""
