"""The sample workspace's own credentials: what its fake APIs accept. Never a real secret."""

SAMPLE_PENDO_KEY = "sample-integration-key"
SAMPLE_ZENDESK_SUBDOMAIN = "sample-support"
SAMPLE_ZENDESK_EMAIL = "bot@sample-support.example"
SAMPLE_ZENDESK_TOKEN = "sample-zendesk-token"
