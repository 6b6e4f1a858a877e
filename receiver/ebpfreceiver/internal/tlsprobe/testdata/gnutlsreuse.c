// gnutlsreuse: GnuTLS client of the tls probe tests. It opens N sequential
// connections to 127.0.0.1:PORT in one process, one request each
// ("Connection: close"), with a gnutls_deinit between connections (so
// the next session is likely allocated at the same address), and prints
// the responses.
//
//   gnutlsreuse CA PORT N SECRET
#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *what, int err)
{
	fprintf(stderr, "gnutlsreuse: %s: %s\n", what, err ? gnutls_strerror(err) : "failed");
	exit(1);
}

int main(int argc, char **argv)
{
	if (argc != 5)
		die("usage: gnutlsreuse CA PORT N SECRET", 0);
	int port = atoi(argv[2]), n = atoi(argv[3]);
	int ret = gnutls_global_init();
	if (ret < 0)
		die("gnutls_global_init", ret);
	gnutls_certificate_credentials_t cred;
	if ((ret = gnutls_certificate_allocate_credentials(&cred)) < 0)
		die("allocate credentials", ret);
	if ((ret = gnutls_certificate_set_x509_trust_file(cred, argv[1], GNUTLS_X509_FMT_PEM)) < 0)
		die("load CA", ret);
	for (int i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
			die("connect", 0);
		gnutls_session_t s;
		if ((ret = gnutls_init(&s, GNUTLS_CLIENT)) < 0)
			die("gnutls_init", ret);
		if ((ret = gnutls_set_default_priority(s)) < 0)
			die("priority", ret);
		if ((ret = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred)) < 0)
			die("credentials", ret);
		gnutls_session_set_verify_cert(s, NULL, 0);
		gnutls_transport_set_int(s, fd);
		do {
			ret = gnutls_handshake(s);
		} while (ret < 0 && !gnutls_error_is_fatal(ret));
		if (ret < 0)
			die("handshake", ret);
		char req[512];
		int len = snprintf(req, sizeof(req),
				   "GET /gnutls%d HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Secret: %s\r\nConnection: close\r\n\r\n",
				   i, argv[4]);
		if ((ret = gnutls_record_send(s, req, len)) != len)
			die("send", ret < 0 ? ret : 0);
		char buf[4096];
		for (;;) {
			ret = gnutls_record_recv(s, buf, sizeof(buf));
			if (ret == 0 || ret == GNUTLS_E_PREMATURE_TERMINATION)
				break;
			if (ret < 0) {
				if (!gnutls_error_is_fatal(ret))
					continue;
				die("recv", ret);
			}
			fwrite(buf, 1, ret, stdout);
		}
		printf("\n");
		close(fd);
		gnutls_deinit(s);
	}
	gnutls_certificate_free_credentials(cred);
	return 0;
}
