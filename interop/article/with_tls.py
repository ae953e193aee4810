# Runs one of the article's programs over TLS, without editing it: the only
# change is the TLS context (and the https:// or wss:// URL, which the
# client programs already take from the command line). Before the program
# runs, this replaces the one call in each that opens the connection:
#
#   http_client.py  requests.get(url)        gets verify=CAFILE
#   ws_client.py    websockets.connect(url)  gets ssl=ssl.create_default_context(cafile=CAFILE)
#   http_server.py  HTTPServer(...)          has its listening socket wrapped:
#                   ssl.SSLContext(PROTOCOL_TLS_SERVER), load_cert_chain,
#                   wrap_socket(server_side=True), and a close_notify alert
#                   when it closes each connection (see shutdown_request)
#   ws_server.py    websockets.serve(...)    gets ssl= that same server context
#
# A client takes --cafile (the certificate to trust), a server --cert and
# --key. It composes with log_frames.py, which it can run in turn.
# Run: python3 -u with_tls.py --cafile cert.pem ws_client.py wss://127.0.0.1:PORT
#      python3 -u with_tls.py --cert cert.pem --key key.pem http_server.py PORT
import argparse
import functools
import http.server
import runpy
import ssl
import sys

import requests
import websockets

parser = argparse.ArgumentParser()
parser.add_argument("--cafile", help="the certificate a client trusts")
parser.add_argument("--cert", help="a server's certificate")
parser.add_argument("--key", help="a server's private key")
parser.add_argument("program", help="one of the article's programs")
parser.add_argument("args", nargs=argparse.REMAINDER, help="its arguments")
options = parser.parse_args()

if options.cafile:
    requests.get = functools.partial(requests.get, verify=options.cafile)
    client_context = ssl.create_default_context(cafile=options.cafile)
    websockets.connect = functools.partial(websockets.connect, ssl=client_context)

if options.cert:
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(options.cert, options.key)

    class HTTPSServer(http.server.HTTPServer):
        """The article's HTTPServer, with its listening socket inside TLS:
        each accepted connection does the TLS handshake before the request."""

        def server_bind(self):
            super().server_bind()
            self.socket = server_context.wrap_socket(self.socket, server_side=True)

        def shutdown_request(self, request):
            # The article's server answers in HTTP/1.0 with no Content-Length:
            # the body ends where the connection does. Over TLS only a
            # close_notify alert says the end is real and not an attacker's
            # cut, and closing an SSLSocket does not send one; unwrap() does.
            # (curl and requests accept the bare close; rustls, under our
            # http-client, refuses it as a truncation.)
            try:
                request.unwrap()
            except OSError:
                pass  # the client closed first; nothing left to tell it
            super().shutdown_request(request)

    http.server.HTTPServer = HTTPSServer
    websockets.serve = functools.partial(websockets.serve, ssl=server_context)

sys.argv = [options.program, *options.args]
runpy.run_path(options.program, run_name="__main__")
