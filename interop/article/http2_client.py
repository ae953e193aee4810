# Not the article's: the article's HTTP client, done again with an HTTP/2
# client, httpx with its http2 extra (which speaks HTTP/2 through the h2
# library). It GETs URL and prints the article's two lines, after the
# protocol version it spoke.
#
#   python3 http2_client.py --cafile cert.pem https://127.0.0.1:PORT/
#   python3 http2_client.py http://127.0.0.1:PORT/
#
# At https://, httpx offers h2 and http/1.1 in the TLS handshake (ALPN)
# and speaks whichever the server picks. At http:// there is no handshake
# to offer it in, and httpx does not ask with HTTP/1.1's `Upgrade: h2c`;
# it speaks HTTP/2 there only when told to, with http1=False: "prior
# knowledge" that the server speaks it, as curl's --http2-prior-knowledge.
import argparse
import ssl
import sys

import httpx

parser = argparse.ArgumentParser()
parser.add_argument("--cafile", help="the certificate to trust, at https://")
parser.add_argument("url")
options = parser.parse_args()

if options.url.startswith("https:"):
    client = httpx.Client(http2=True, verify=ssl.create_default_context(cafile=options.cafile))
else:
    client = httpx.Client(http1=False, http2=True)

try:
    with client:
        response = client.get(options.url)
except httpx.HTTPError as error:
    sys.exit(f"http2_client.py: {type(error).__name__}: {error}")
print(f"HTTP Version: {response.http_version}")
print(f"Status Code: {response.status_code}")
print(f"Response Body: {response.text}")
