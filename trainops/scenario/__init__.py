"""The one adapter over the Scenario API: raw JSON stops here.

client       `Scenario`: every call trainops makes, with auth, timeouts and pagination
calls        one request under the retry rules of its kind, and paging: what each noun's calls use
models       the calls on models
assets       the calls on training images, assets and uploads
training     the calls on trainings and jobs
credentials  the API key, secret and base URL, from the environment
parse        the API's JSON as the values of `trainops.live`, each shape once
wire         HTTP on httpx: headers, path segments, queries, status errors
retry        what to retry, by call kind (reads, idempotent writes, never a blind trigger)
"""
