/*
 * Drives the software key over HID-over-UDP with Yubico's libfido2 (Debian libfido2-dev), an
 * independent CTAP 2.1 client written in C, through its custom I/O hooks. Phases:
 *   libfido2_client full  PORT   getInfo, setPIN, changePIN, wrong PIN, minPINLength, makeCredential
 *                                with PIN (rk, credProtect, hmac-secret) verified by fido_cred_verify,
 *                                getAssertion verified by fido_assert_verify, credential management,
 *                                alwaysUv, forcePINChange
 *   libfido2_client reset PORT   authenticatorReset (the caller re-plugs the key first)
 * One JSON line per check on stdout; exit status 0 only if every check passed.
 */
#include <arpa/inet.h>
#include <fido.h>
#include <fido/config.h>
#include <fido/credman.h>
#include <fido/es256.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int udp_port;

static void *udp_open(const char *path) {
  (void)path;
  int *fd = malloc(sizeof(int));
  struct sockaddr_in local = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  struct sockaddr_in remote = {.sin_family = AF_INET, .sin_port = htons(udp_port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  *fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (*fd < 0 || bind(*fd, (struct sockaddr *)&local, sizeof local) < 0 ||
      connect(*fd, (struct sockaddr *)&remote, sizeof remote) < 0) {
    free(fd);
    return NULL;
  }
  return fd;
}

static void udp_close(void *handle) {
  close(*(int *)handle);
  free(handle);
}

static int udp_read(void *handle, unsigned char *buf, size_t len, int ms) {
  struct pollfd pfd = {.fd = *(int *)handle, .events = POLLIN};
  if (poll(&pfd, 1, ms < 0 ? 10000 : ms) <= 0) return -1;
  ssize_t n = recv(*(int *)handle, buf, len, 0);
  return n < 0 ? -1 : (int)n;
}

/* libfido2 hands HID writes over with the leading report-id byte; the UDP convention has none. */
static int udp_write(void *handle, const unsigned char *buf, size_t len) {
  size_t given = len;
  if (len == 65 && buf[0] == 0) {
    buf++;
    len--;
  }
  ssize_t n = send(*(int *)handle, buf, len, 0);
  return n == (ssize_t)len ? (int)given : -1;
}

static int failures;

#define CHECK(cond, name)                                                              \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      printf("{\"check\":\"%s\",\"ok\":false,\"line\":%d}\n", name, __LINE__);        \
      failures++;                                                                      \
    }                                                                                  \
  } while (0)

#define OK(call, name)                                                                 \
  do {                                                                                 \
    int r_ = (call);                                                                   \
    if (r_ != FIDO_OK) {                                                               \
      printf("{\"check\":\"%s\",\"ok\":false,\"error\":\"%s\"}\n", name, fido_strerr(r_)); \
      failures++;                                                                      \
      return;                                                                          \
    }                                                                                  \
  } while (0)

static fido_dev_t *open_dev(void) {
  fido_dev_io_t io = {udp_open, udp_close, udp_read, udp_write};
  fido_dev_t *dev = fido_dev_new();
  if (fido_dev_set_io_functions(dev, &io) != FIDO_OK || fido_dev_open(dev, "udp") != FIDO_OK) {
    printf("{\"check\":\"open\",\"ok\":false}\n");
    exit(1);
  }
  return dev;
}

static void hex(const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
}

static void phase_full(void) {
  fido_dev_t *dev = open_dev();
  CHECK(fido_dev_is_fido2(dev), "isFido2");
  fido_cbor_info_t *info = fido_cbor_info_new();
  OK(fido_dev_get_cbor_info(dev, info), "getInfo");
  int has21 = 0, has_cm = 0;
  char **versions = fido_cbor_info_versions_ptr(info);
  for (size_t i = 0; i < fido_cbor_info_versions_len(info); i++) has21 |= strcmp(versions[i], "FIDO_2_1") == 0;
  char **names = fido_cbor_info_options_name_ptr(info);
  const bool *values = fido_cbor_info_options_value_ptr(info);
  for (size_t i = 0; i < fido_cbor_info_options_len(info); i++) has_cm |= strcmp(names[i], "credMgmt") == 0 && values[i];
  CHECK(has21 && has_cm, "getInfo versions/options");
  CHECK(fido_dev_supports_pin(dev) && !fido_dev_has_pin(dev), "fresh key supports a PIN and has none");
  printf("{\"check\":\"getInfo\",\"ok\":true,\"firmware\":%llu,\"maxMsgSize\":%llu,\"minPinLength\":%llu}\n",
         (unsigned long long)fido_cbor_info_fwversion(info), (unsigned long long)fido_cbor_info_maxmsgsiz(info),
         (unsigned long long)fido_cbor_info_minpinlen(info));
  fido_cbor_info_free(&info);

  const char *pin1 = "31415926", *pin2 = "27182818";
  OK(fido_dev_set_pin(dev, pin1, NULL), "setPin");
  OK(fido_dev_set_pin(dev, pin2, pin1), "changePin");
  int retries = -1;
  OK(fido_dev_get_retry_count(dev, &retries), "retries");
  CHECK(retries == 8, "retries after PIN change");
  OK(fido_dev_set_pin_minlen(dev, 8, pin2), "setMinPinLength");
  printf("{\"check\":\"pin\",\"ok\":true,\"retries\":%d}\n", retries);

  /* makeCredential with PIN, resident, credProtect 1 and hmac-secret, then verify. */
  unsigned char cdh[32], user_id[16];
  memset(cdh, 0x42, sizeof cdh);
  memset(user_id, 0x07, sizeof user_id);
  fido_cred_t *cred = fido_cred_new();
  OK(fido_cred_set_type(cred, COSE_ES256), "cred type");
  OK(fido_cred_set_clientdata_hash(cred, cdh, sizeof cdh), "cred cdh");
  OK(fido_cred_set_rp(cred, "login.microsoft.com", "Microsoft"), "cred rp");
  OK(fido_cred_set_user(cred, user_id, sizeof user_id, "grace@contoso.example", "Grace", NULL), "cred user");
  OK(fido_cred_set_rk(cred, FIDO_OPT_TRUE), "cred rk");
  OK(fido_cred_set_extensions(cred, FIDO_EXT_CRED_PROTECT | FIDO_EXT_HMAC_SECRET), "cred ext");
  OK(fido_cred_set_prot(cred, FIDO_CRED_PROT_UV_OPTIONAL), "cred prot");
  OK(fido_dev_make_cred(dev, cred, pin2), "makeCredential");
  OK(fido_cred_verify(cred), "fido_cred_verify (packed attestation)");
  CHECK(strcmp(fido_cred_fmt(cred), "packed") == 0, "fmt packed");
  CHECK(fido_cred_prot(cred) == FIDO_CRED_PROT_UV_OPTIONAL, "credProtect output");
  CHECK((fido_cred_flags(cred) & 0x05) == 0x05, "UP and UV flags");
  printf("{\"check\":\"makeCredential\",\"ok\":true,\"fmt\":\"%s\",\"x5c\":\"", fido_cred_fmt(cred));
  hex(fido_cred_x5c_ptr(cred), fido_cred_x5c_len(cred));
  printf("\"}\n");

  /* getAssertion with PIN and the credential, verified against its public key. */
  es256_pk_t *pk = es256_pk_new();
  OK(es256_pk_from_ptr(pk, fido_cred_pubkey_ptr(cred), fido_cred_pubkey_len(cred)), "public key");
  fido_assert_t *assert = fido_assert_new();
  OK(fido_assert_set_clientdata_hash(assert, cdh, sizeof cdh), "assert cdh");
  OK(fido_assert_set_rp(assert, "login.microsoft.com"), "assert rp");
  OK(fido_assert_allow_cred(assert, fido_cred_id_ptr(cred), fido_cred_id_len(cred)), "assert allow");
  OK(fido_dev_get_assert(dev, assert, pin2), "getAssertion");
  OK(fido_assert_verify(assert, 0, COSE_ES256, pk), "fido_assert_verify");
  CHECK((fido_assert_flags(assert, 0) & 0x05) == 0x05, "assertion UP and UV");
  printf("{\"check\":\"getAssertion\",\"ok\":true,\"signCount\":%u}\n", fido_assert_sigcount(assert, 0));
  fido_assert_free(&assert);
  es256_pk_free(&pk);

  /* Credential management. */
  fido_credman_metadata_t *meta = fido_credman_metadata_new();
  OK(fido_credman_get_dev_metadata(dev, meta, pin2), "credman metadata");
  CHECK(fido_credman_rk_existing(meta) == 1 && fido_credman_rk_remaining(meta) == 99, "credman counts");
  fido_credman_metadata_free(&meta);
  fido_credman_rp_t *rp = fido_credman_rp_new();
  OK(fido_credman_get_dev_rp(dev, rp, pin2), "credman rps");
  CHECK(fido_credman_rp_count(rp) == 1 && strcmp(fido_credman_rp_id(rp, 0), "login.microsoft.com") == 0, "credman rp id");
  fido_credman_rp_free(&rp);
  fido_credman_rk_t *rk = fido_credman_rk_new();
  OK(fido_credman_get_dev_rk(dev, "login.microsoft.com", rk, pin2), "credman rks");
  CHECK(fido_credman_rk_count(rk) == 1, "credman rk count");
  const fido_cred_t *stored = fido_credman_rk(rk, 0);
  CHECK(stored && fido_cred_id_len(stored) == fido_cred_id_len(cred) &&
            memcmp(fido_cred_id_ptr(stored), fido_cred_id_ptr(cred), fido_cred_id_len(cred)) == 0,
        "credman rk id");
  fido_credman_rk_free(&rk);
  OK(fido_credman_del_dev_rk(dev, fido_cred_id_ptr(cred), fido_cred_id_len(cred), pin2), "credman delete");
  meta = fido_credman_metadata_new();
  OK(fido_credman_get_dev_metadata(dev, meta, pin2), "credman metadata after delete");
  CHECK(fido_credman_rk_existing(meta) == 0, "credman empty after delete");
  fido_credman_metadata_free(&meta);
  printf("{\"check\":\"credentialManagement\",\"ok\":true}\n");
  fido_cred_free(&cred);

  /* Config: alwaysUv on and off, then forcePINChange. */
  OK(fido_dev_toggle_always_uv(dev, pin2), "toggleAlwaysUv on");
  OK(fido_dev_toggle_always_uv(dev, pin2), "toggleAlwaysUv off");
  OK(fido_dev_force_pin_change(dev, pin2), "forcePinChange");
  info = fido_cbor_info_new();
  OK(fido_dev_get_cbor_info(dev, info), "getInfo after force");
  CHECK(fido_cbor_info_new_pin_required(info), "forcePINChange reported");
  CHECK(fido_cbor_info_minpinlen(info) == 8, "minPINLength reported");
  fido_cbor_info_free(&info);
  CHECK(fido_credman_get_dev_metadata(dev, (meta = fido_credman_metadata_new()), pin2) == FIDO_ERR_PIN_POLICY_VIOLATION,
        "token refused while a PIN change is forced");
  fido_credman_metadata_free(&meta);
  OK(fido_dev_set_pin(dev, "16180339", pin2), "changePin clears forcePINChange");
  printf("{\"check\":\"config\",\"ok\":true}\n");
  fido_dev_close(dev);
  fido_dev_free(&dev);
}

static void phase_reset(void) {
  fido_dev_t *dev = open_dev();
  OK(fido_dev_reset(dev), "reset");
  fido_cbor_info_t *info = fido_cbor_info_new();
  OK(fido_dev_get_cbor_info(dev, info), "getInfo after reset");
  CHECK(fido_cbor_info_minpinlen(info) == 4, "minPINLength back to 4");
  CHECK(!fido_cbor_info_new_pin_required(info), "forcePINChange cleared");
  fido_cbor_info_free(&info);
  printf("{\"check\":\"reset\",\"ok\":true}\n");
  fido_dev_close(dev);
  fido_dev_free(&dev);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s full|reset PORT\n", argv[0]);
    return 2;
  }
  udp_port = atoi(argv[2]);
  fido_init(getenv("FIDO_DEBUG") ? FIDO_DEBUG : 0);
  if (strcmp(argv[1], "full") == 0) phase_full();
  else if (strcmp(argv[1], "reset") == 0) phase_reset();
  else return 2;
  return failures == 0 ? 0 : 1;
}
