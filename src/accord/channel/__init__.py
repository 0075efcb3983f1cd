"""What the API and the pages share: credentials, request dependencies, the error table."""
