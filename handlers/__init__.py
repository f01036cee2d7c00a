"""Lambda handlers: plain Python and boto3, configured through environment variables."""
