"""Loopback plain-HTTP test server for the socket probe tests.

Prints the port it listens on, then answers GET /<path> with
"hello <path> secret=<X-Secret header>" (HTTP/1.1, keep-alive).
"""
import http.server


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = ("hello %s secret=%s" % (self.path, self.headers.get("X-Secret", ""))).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(srv.server_address[1], flush=True)
srv.serve_forever()
