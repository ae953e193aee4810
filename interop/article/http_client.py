# The article's "HTTP Client Code", as printed, with one change: the URL
# comes from the command line (default http://localhost:8000, as in the
# article). Run: python3 http_client.py [URL]
import sys
import requests

response = requests.get(sys.argv[1] if len(sys.argv) > 1 else 'http://localhost:8000')
print(f"Status Code: {response.status_code}")
print(f"Response Body: {response.text}")
