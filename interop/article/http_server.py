# The article's "HTTP Server Code", as printed, with one change: the port
# comes from the command line (default 8000, as in the article), so the
# interop suite can run it on a free port. Run: python3 -u http_server.py [PORT]
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

class SimpleHTTPRequestHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        # Set response status code
        self.send_response(200)
        # Set headers
        self.send_header('Content-type', 'text/html')
        self.end_headers()
        # Write response body
        self.wfile.write(b"Hello, World! This is an HTTP response.")

def run(server_class=HTTPServer, handler_class=SimpleHTTPRequestHandler):
    server_address = ('', int(sys.argv[1]) if len(sys.argv) > 1 else 8000)  # Running on port 8000
    httpd = server_class(server_address, handler_class)
    print("HTTP server started.")
    httpd.serve_forever()

if __name__ == '__main__':
    run()
