// The per-packet half of a connected link's media path (mixer-node/src/transport/direct-rtp.ts),
// in C: AEAD_AES_128_GCM sealing and opening of SRTP packets (RFC 7714) on a cipher context kept
// per link, and one sendto(2) of the sealed packet on the link's UDP socket.
//
// In JavaScript a packet costs a Cipheriv object (Node cannot re-key a GCM context), its output
// buffers, and dgram's send layers (an address lookup, a send request object). Here a packet is
// one call: the context takes the packet's IV, the packet is built in a stack buffer, and the
// socket (non-blocking, as libuv keeps it) sends it at once. Datagrams are atomic, so sending
// beside libuv's own queue (werift's STUN, DTLS and RTCP) is safe; a full socket buffer
// (EAGAIN) drops the packet, as the network would, and is reported to the caller.
//
// OpenSSL is the one inside the Node binary (its headers ship with Node's): no library to link.
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <openssl/evp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#define TAG_BYTES 16
#define IV_BYTES 12
#define KEY_BYTES 16
#define MAX_PACKET 1500
// recvBatch: datagrams per call, bytes a datagram may take, and int32s of metadata per datagram.
#define BATCH 32
#define SLOT_BYTES 2048
#define META_INTS 4
#define ADDR_BYTES 48

typedef struct {
  EVP_CIPHER_CTX* ctx;
  int encrypt;
} Aead;

typedef struct {
  struct sockaddr_storage addr;
  socklen_t len;
} Dest;

#define CHECK(call)                                                     \
  do {                                                                  \
    if ((call) != napi_ok) {                                            \
      napi_throw_error(env, "RTP_NATIVE", "N-API call failed: " #call); \
      return NULL;                                                      \
    }                                                                   \
  } while (0)

static napi_value throw_range(napi_env env, const char* msg) {
  napi_throw_range_error(env, "RTP_BAD_ARGUMENT", msg);
  return NULL;
}

static napi_value number(napi_env env, double v) {
  napi_value out;
  napi_create_double(env, v, &out);
  return out;
}

// A Uint8Array (or Buffer) argument's bytes.
static int bytes_of(napi_env env, napi_value v, uint8_t** data, size_t* len) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return 0;
  napi_typedarray_type type;
  void* base;
  size_t length;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, &length, &base, &ab, &offset) != napi_ok) return 0;
  if (type != napi_uint8_array) return 0;
  *data = (uint8_t*)base;
  *len = length;
  return 1;
}

static void aead_finalize(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  Aead* a = (Aead*)data;
  if (a->ctx) EVP_CIPHER_CTX_free(a->ctx);
  free(a);
}

static void dest_finalize(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  free(data);
}

// aead(key: Uint8Array(16), encrypt: boolean) -> External
static napi_value Aead_create(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t* key;
  size_t key_len;
  if (argc < 2 || !bytes_of(env, argv[0], &key, &key_len) || key_len != KEY_BYTES) return throw_range(env, "key must be a 16-byte Uint8Array");
  bool encrypt = false;
  CHECK(napi_get_value_bool(env, argv[1], &encrypt));
  Aead* a = (Aead*)calloc(1, sizeof(Aead));
  if (!a) return throw_range(env, "out of memory");
  a->encrypt = encrypt ? 1 : 0;
  a->ctx = EVP_CIPHER_CTX_new();
  int ok = a->ctx != NULL;
  if (ok) ok = EVP_CipherInit_ex(a->ctx, EVP_aes_128_gcm(), NULL, NULL, NULL, a->encrypt) == 1;
  if (ok) ok = EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_GCM_SET_IVLEN, IV_BYTES, NULL) == 1;
  if (ok) ok = EVP_CipherInit_ex(a->ctx, NULL, NULL, key, NULL, a->encrypt) == 1;
  if (!ok) {
    aead_finalize(env, a, NULL);
    napi_throw_error(env, "RTP_CRYPTO", "could not set up an AES-128-GCM context");
    return NULL;
  }
  napi_value out;
  CHECK(napi_create_external(env, a, aead_finalize, NULL, &out));
  return out;
}

// dest(ip: string, port: number) -> External (an IPv4 or IPv6 socket address)
static napi_value Dest_create(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char ip[64];
  size_t ip_len = 0;
  if (argc < 2 || napi_get_value_string_utf8(env, argv[0], ip, sizeof ip, &ip_len) != napi_ok) return throw_range(env, "ip must be a string");
  int32_t port = 0;
  if (napi_get_value_int32(env, argv[1], &port) != napi_ok || port < 1 || port > 65535) return throw_range(env, "port must be 1..65535");
  Dest* d = (Dest*)calloc(1, sizeof(Dest));
  if (!d) return throw_range(env, "out of memory");
  struct sockaddr_in* v4 = (struct sockaddr_in*)&d->addr;
  struct sockaddr_in6* v6 = (struct sockaddr_in6*)&d->addr;
  if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    d->len = sizeof(struct sockaddr_in);
  } else if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    d->len = sizeof(struct sockaddr_in6);
  } else {
    free(d);
    return throw_range(env, "ip is not an IPv4 or IPv6 address");
  }
  napi_value out;
  CHECK(napi_create_external(env, d, dest_finalize, NULL, &out));
  return out;
}

static void* external_of(napi_env env, napi_value v) {
  void* p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  return p;
}

// sealSend(aead, fd, dest, header: Uint8Array, iv: Uint8Array(12), payload: Uint8Array) -> number
// Bytes sent, or -errno when the socket would not take it (-EAGAIN: buffer full, dropped).
static napi_value SealSend(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 6) return throw_range(env, "sealSend(aead, fd, dest, header, iv, payload)");
  Aead* a = (Aead*)external_of(env, argv[0]);
  Dest* d = (Dest*)external_of(env, argv[2]);
  if (!a || !a->encrypt || !d) return throw_range(env, "bad sealing context or destination");
  int32_t fd = -1;
  if (napi_get_value_int32(env, argv[1], &fd) != napi_ok || fd < 0) return throw_range(env, "bad fd");
  uint8_t *header, *iv, *payload;
  size_t header_len, iv_len, payload_len;
  if (!bytes_of(env, argv[3], &header, &header_len) || !bytes_of(env, argv[4], &iv, &iv_len) || !bytes_of(env, argv[5], &payload, &payload_len)) {
    return throw_range(env, "header, iv and payload must be Uint8Arrays");
  }
  if (iv_len != IV_BYTES || header_len < 12 || header_len + payload_len + TAG_BYTES > MAX_PACKET) return throw_range(env, "bad packet sizes");
  uint8_t packet[MAX_PACKET];
  memcpy(packet, header, header_len);
  int outl = 0;
  int ok = EVP_CipherInit_ex(a->ctx, NULL, NULL, NULL, iv, 1) == 1;
  if (ok) ok = EVP_CipherUpdate(a->ctx, NULL, &outl, header, (int)header_len) == 1;
  if (ok) ok = EVP_CipherUpdate(a->ctx, packet + header_len, &outl, payload, (int)payload_len) == 1 && (size_t)outl == payload_len;
  if (ok) ok = EVP_CipherFinal_ex(a->ctx, packet + header_len + payload_len, &outl) == 1;
  if (ok) ok = EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_GCM_GET_TAG, TAG_BYTES, packet + header_len + payload_len) == 1;
  if (!ok) {
    napi_throw_error(env, "RTP_CRYPTO", "AES-GCM sealing failed");
    return NULL;
  }
  size_t total = header_len + payload_len + TAG_BYTES;
  ssize_t sent;
  do {
    sent = sendto(fd, packet, total, 0, (struct sockaddr*)&d->addr, d->len);
  } while (sent < 0 && errno == EINTR);
  return number(env, sent < 0 ? -(double)errno : (double)sent);
}

// open(aead, buf: Uint8Array, start, end, aadBytes, iv: Uint8Array(12), out: Uint8Array) -> number
// Authenticates and decrypts the packet buf[start .. end) (AAD its first aadBytes, the tag its
// last 16 bytes) into out: the plaintext length, or -1 when the packet does not authenticate.
static napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 7) return throw_range(env, "open(aead, buf, start, end, aadBytes, iv, out)");
  Aead* a = (Aead*)external_of(env, argv[0]);
  if (!a || a->encrypt) return throw_range(env, "bad opening context");
  uint8_t *buf, *iv, *out;
  size_t buf_len, iv_len, out_len;
  int32_t start = 0, end = 0, aad = 0;
  if (!bytes_of(env, argv[1], &buf, &buf_len) || !bytes_of(env, argv[5], &iv, &iv_len) || !bytes_of(env, argv[6], &out, &out_len)) {
    return throw_range(env, "buf, iv and out must be Uint8Arrays");
  }
  if (napi_get_value_int32(env, argv[2], &start) != napi_ok || napi_get_value_int32(env, argv[3], &end) != napi_ok ||
      napi_get_value_int32(env, argv[4], &aad) != napi_ok || start < 0 || end < start || (size_t)end > buf_len || aad < 0) {
    return throw_range(env, "bad start, end or aadBytes");
  }
  uint8_t* packet = buf + start;
  size_t packet_len = (size_t)(end - start);
  if (iv_len != IV_BYTES || (size_t)aad + TAG_BYTES > packet_len) return number(env, -1);
  size_t ct_len = packet_len - (size_t)aad - TAG_BYTES;
  if (ct_len > out_len) return throw_range(env, "out is too small");
  int outl = 0;
  int ok = EVP_CipherInit_ex(a->ctx, NULL, NULL, NULL, iv, 0) == 1;
  if (ok) ok = EVP_CipherUpdate(a->ctx, NULL, &outl, packet, aad) == 1;
  if (ok) ok = EVP_CipherUpdate(a->ctx, out, &outl, packet + aad, (int)ct_len) == 1 && (size_t)outl == ct_len;
  if (ok) ok = EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_GCM_SET_TAG, TAG_BYTES, packet + packet_len - TAG_BYTES) == 1;
  if (ok) ok = EVP_CipherFinal_ex(a->ctx, out + ct_len, &outl) == 1;
  return number(env, ok ? (double)ct_len : -1);
}

// timestamps(fd) -> 0 or -errno: the kernel stamps each datagram's arrival (SO_TIMESTAMPNS).
static napi_value Timestamps(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) return throw_range(env, "bad fd");
  int on = 1;
  return number(env, setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == 0 ? 0 : -(double)errno);
}

// recvBatch(fd, buf: Uint8Array(BATCH*SLOT_BYTES), meta: Int32Array(BATCH*4), ages: Float64Array(BATCH),
//           addrs: Uint8Array(BATCH*48)) -> count, or -errno
// Reads the datagrams waiting on the (non-blocking) socket, up to BATCH, in one recvmmsg. Datagram
// i is at buf[i*SLOT_BYTES], meta[4i..] = length (-1 if truncated), source port, family (4 or 6),
// address text length; addrs[48i..] its source address as text; ages[i] how long ago (ms) the
// kernel received it (0 without a timestamp). 0 when nothing waits.
static napi_value RecvBatch(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) return throw_range(env, "recvBatch(fd, buf, meta, ages, addrs)");
  int32_t fd = -1;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) return throw_range(env, "bad fd");
  uint8_t *buf, *addrs;
  size_t buf_len, addrs_len;
  if (!bytes_of(env, argv[1], &buf, &buf_len) || !bytes_of(env, argv[4], &addrs, &addrs_len)) return throw_range(env, "buf and addrs must be Uint8Arrays");
  napi_typedarray_type mt, at;
  size_t meta_len, ages_len, off;
  void *meta_base, *ages_base;
  napi_value ab;
  if (napi_get_typedarray_info(env, argv[2], &mt, &meta_len, &meta_base, &ab, &off) != napi_ok || mt != napi_int32_array ||
      napi_get_typedarray_info(env, argv[3], &at, &ages_len, &ages_base, &ab, &off) != napi_ok || at != napi_float64_array) {
    return throw_range(env, "meta must be an Int32Array and ages a Float64Array");
  }
  if (buf_len < BATCH * SLOT_BYTES || meta_len < BATCH * META_INTS || ages_len < BATCH || addrs_len < BATCH * ADDR_BYTES) {
    return throw_range(env, "recvBatch buffers are too small");
  }
  int32_t* meta = (int32_t*)meta_base;
  double* ages = (double*)ages_base;
  struct mmsghdr msgs[BATCH];
  struct iovec iovs[BATCH];
  struct sockaddr_storage from[BATCH];
  char control[BATCH][CMSG_SPACE(sizeof(struct timespec))];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < BATCH; i++) {
    iovs[i].iov_base = buf + (size_t)i * SLOT_BYTES;
    iovs[i].iov_len = SLOT_BYTES;
    msgs[i].msg_hdr.msg_iov = &iovs[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &from[i];
    msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    msgs[i].msg_hdr.msg_control = control[i];
    msgs[i].msg_hdr.msg_controllen = sizeof control[i];
  }
  int n;
  do {
    n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return number(env, (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -(double)errno);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  for (int i = 0; i < n; i++) {
    struct msghdr* h = &msgs[i].msg_hdr;
    meta[i * META_INTS] = (h->msg_flags & MSG_TRUNC) ? -1 : (int32_t)msgs[i].msg_len;
    char* text = (char*)addrs + (size_t)i * ADDR_BYTES;
    text[0] = 0;
    if (from[i].ss_family == AF_INET6) {
      struct sockaddr_in6* v6 = (struct sockaddr_in6*)&from[i];
      meta[i * META_INTS + 1] = ntohs(v6->sin6_port);
      meta[i * META_INTS + 2] = 6;
      inet_ntop(AF_INET6, &v6->sin6_addr, text, ADDR_BYTES);
    } else {
      struct sockaddr_in* v4 = (struct sockaddr_in*)&from[i];
      meta[i * META_INTS + 1] = ntohs(v4->sin_port);
      meta[i * META_INTS + 2] = 4;
      inet_ntop(AF_INET, &v4->sin_addr, text, ADDR_BYTES);
    }
    meta[i * META_INTS + 3] = (int32_t)strlen(text);
    double age = 0;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        struct timespec ts;
        memcpy(&ts, CMSG_DATA(c), sizeof ts);
        age = (double)(now.tv_sec - ts.tv_sec) * 1e3 + (double)(now.tv_nsec - ts.tv_nsec) / 1e6;
        if (age < 0) age = 0;
      }
    }
    ages[i] = age;
  }
  return number(env, n);
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"aead", NULL, Aead_create, NULL, NULL, NULL, napi_default, NULL},
      {"dest", NULL, Dest_create, NULL, NULL, NULL, napi_default, NULL},
      {"sealSend", NULL, SealSend, NULL, NULL, NULL, napi_default, NULL},
      {"open", NULL, Open, NULL, NULL, NULL, napi_default, NULL},
      {"timestamps", NULL, Timestamps, NULL, NULL, NULL, napi_default, NULL},
      {"recvBatch", NULL, RecvBatch, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
