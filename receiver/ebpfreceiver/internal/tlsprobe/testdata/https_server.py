"""Loopback HTTPS test server for the tls probe tests.

Usage: https_server.py CERT KEY
Prints the port it listens on, then serves HTTP/1.1 (keep-alive):
  GET /big     -> 1 MiB body (bytes 'a'..'z' repeated), one write
  GET /<path>  -> "hello <path> secret=<X-Secret header>"
"""
import http.server
import ssl
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path == "/big":
            body = bytes(ord("a") + i % 26 for i in range(1 << 20))
        else:
            body = ("hello %s secret=%s" % (self.path, self.headers.get("X-Secret", ""))).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[1], sys.argv[2])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
