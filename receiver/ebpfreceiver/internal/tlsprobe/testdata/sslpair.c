// sslpair: OpenSSL round-trip driver for the tls probe benchmark.
//
//   sslpair CERT KEY ITERATIONS SIZE [wait]
//
// With "wait", it reads a line from stdin before the round trips (tests wait
// until the probe has attached to the binary).
// A client and a server SSL object connected by an in-memory BIO pair (no
// sockets, no scheduler noise). After the handshake it runs ITERATIONS round
// trips: client SSL_write(SIZE) -> server SSL_read -> server SSL_write(SIZE)
// -> client SSL_read, and prints the mean CPU nanoseconds (user + kernel,
// so uprobe handling counts and other load on the machine does not) per
// round trip.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void die(const char *what)
{
	fprintf(stderr, "sslpair: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 5 && argc != 6)
		die("usage: sslpair CERT KEY ITERATIONS SIZE [wait]");
	long iterations = atol(argv[3]);
	int size = atoi(argv[4]);
	if (iterations <= 0 || size <= 0 || size > 16384)
		die("bad ITERATIONS or SIZE (1..16384)");

	SSL_CTX *sctx = SSL_CTX_new(TLS_server_method());
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	if (!sctx || !cctx)
		die("SSL_CTX_new");
	if (SSL_CTX_use_certificate_file(sctx, argv[1], SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(sctx, argv[2], SSL_FILETYPE_PEM) != 1)
		die("load certificate/key");
	SSL *srv = SSL_new(sctx), *cli = SSL_new(cctx);
	BIO *bs, *bc;
	if (!BIO_new_bio_pair(&bs, 1 << 17, &bc, 1 << 17))
		die("BIO_new_bio_pair");
	SSL_set_bio(srv, bs, bs);
	SSL_set_bio(cli, bc, bc);
	SSL_set_accept_state(srv);
	SSL_set_connect_state(cli);
	int sdone = 0, cdone = 0;
	for (int i = 0; i < 100 && !(sdone && cdone); i++) {
		if (!cdone) {
			int r = SSL_do_handshake(cli);
			if (r == 1)
				cdone = 1;
			else if (SSL_get_error(cli, r) != SSL_ERROR_WANT_READ)
				die("client handshake");
		}
		if (!sdone) {
			int r = SSL_do_handshake(srv);
			if (r == 1)
				sdone = 1;
			else if (SSL_get_error(srv, r) != SSL_ERROR_WANT_READ)
				die("server handshake");
		}
	}
	if (!(sdone && cdone))
		die("handshake did not finish");

	char *out = malloc(size), *in = malloc(size);
	memset(out, 'x', size);
	if (argc == 6 && strcmp(argv[5], "wait") == 0) {
		char line[16];
		if (!fgets(line, sizeof(line), stdin))
			die("no go line on stdin");
	}
	long long start = now_ns();
	for (long i = 0; i < iterations; i++) {
		if (SSL_write(cli, out, size) != size)
			die("client SSL_write");
		int got = 0;
		while (got < size) {
			int r = SSL_read(srv, in + got, size - got);
			if (r <= 0)
				die("server SSL_read");
			got += r;
		}
		if (SSL_write(srv, out, size) != size)
			die("server SSL_write");
		got = 0;
		while (got < size) {
			int r = SSL_read(cli, in + got, size - got);
			if (r <= 0)
				die("client SSL_read");
			got += r;
		}
	}
	long long elapsed = now_ns() - start;
	printf("%.1f\n", (double)elapsed / (double)iterations);
	return 0;
}
