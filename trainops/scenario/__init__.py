"""The one adapter over the Scenario API: raw JSON stops here.

client       `Scenario`: every call trainops makes, with auth, timeouts and pagination
credentials  the API key, secret and base URL, from the environment
parse        the API's JSON as the values of `trainops.live`, each shape once
wire         HTTP on httpx: headers, path segments, queries, status errors
retry        what to retry, by call kind (reads, idempotent writes, never a blind trigger)
"""
