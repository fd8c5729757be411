/*
 * A small N-API binding over the system libopus: 48 kHz mono float PCM.
 *
 * Every call writes into typed arrays the caller owns, so nothing on the
 * per-frame path allocates. Argument errors throw TypeError / RangeError
 * here, before libopus sees them; libopus's own failures (a corrupt packet,
 * say) come back as negative return values so that the TypeScript layer can
 * raise its coded CodecError without a second try/catch.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <node_api.h>
#include <opus.h>

#define SAMPLE_RATE 48000
#define MAX_PACKET 1275

typedef struct {
  OpusEncoder *enc;
  int frame;
} Enc;

typedef struct {
  OpusDecoder *dec;
  int frame;
} Dec;

/* Each failing N-API call throws a JS error and returns NULL to the engine. */
#define CHECK(env, call)                                                   \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      napi_throw_error((env), "ERR_NAPI", "N-API call failed: " #call);    \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

static int valid_frame(int n) { return n == 120 || n == 240 || n == 480 || n == 960; }

static napi_value int32(napi_env env, int32_t v) {
  napi_value r;
  if (napi_create_int32(env, v, &r) != napi_ok) return NULL;
  return r;
}

/* Reads argument i as an int32 in [lo, hi]; throws and returns 0 on failure. */
static int get_int(napi_env env, napi_value v, const char *name, int lo, int hi, int32_t *out) {
  napi_valuetype t;
  double d;
  char msg[128];
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number ||
      napi_get_value_double(env, v, &d) != napi_ok || d != (double)(int32_t)d) {
    snprintf(msg, sizeof msg, "%s must be an integer", name);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return 0;
  }
  if (d < lo || d > hi) {
    snprintf(msg, sizeof msg, "%s must be in [%d, %d], got %d", name, lo, hi, (int)d);
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
    return 0;
  }
  *out = (int32_t)d;
  return 1;
}

static int get_bool(napi_env env, napi_value v, const char *name, int *out) {
  bool b;
  char msg[128];
  if (napi_get_value_bool(env, v, &b) != napi_ok) {
    snprintf(msg, sizeof msg, "%s must be a boolean", name);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return 0;
  }
  *out = b ? 1 : 0;
  return 1;
}

/* Reads a typed array of the given type; throws unless it is one. */
static int get_array(napi_env env, napi_value v, napi_typedarray_type want, const char *name,
                     void **data, size_t *length) {
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  char msg[128];
  if (napi_get_typedarray_info(env, v, &type, length, data, &ab, &off) != napi_ok || type != want) {
    snprintf(msg, sizeof msg, "%s must be a %s", name,
             want == napi_float32_array ? "Float32Array" : "Uint8Array");
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return 0;
  }
  return 1;
}

/* Gets `this`'s native state and argc arguments; throws if destroyed or too few. */
static void *get_this(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  napi_value self;
  void *p = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, &self, NULL) != napi_ok) return NULL;
  if (argc < want) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "missing arguments");
    return NULL;
  }
  if (napi_unwrap(env, self, &p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_THIS", "not an Opus encoder/decoder");
    return NULL;
  }
  return p;
}

/* ---------------------------------------------------------------- encoder */

static void enc_finalize(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  Enc *e = data;
  if (e->enc) opus_encoder_destroy(e->enc);
  free(e);
}

static Enc *live_enc(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  Enc *e = get_this(env, info, want, argv);
  if (e && !e->enc) {
    napi_throw_error(env, "ERR_DESTROYED", "Opus encoder was destroyed");
    return NULL;
  }
  return e;
}

/* new Encoder(application, frameSamples) */
static napi_value enc_new(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], self;
  int32_t app, frame;
  int err;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "Encoder(application, frameSamples)");
    return NULL;
  }
  if (!get_int(env, argv[0], "application", 2048, 2051, &app)) return NULL;
  if (app == 2050) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "unknown Opus application");
    return NULL;
  }
  if (!get_int(env, argv[1], "frameSamples", 120, 960, &frame)) return NULL;
  if (!valid_frame(frame)) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "frameSamples must be 120, 240, 480 or 960");
    return NULL;
  }
  Enc *e = calloc(1, sizeof *e);
  if (!e) { napi_throw_error(env, "ERR_NO_MEMORY", "out of memory"); return NULL; }
  e->frame = frame;
  e->enc = opus_encoder_create(SAMPLE_RATE, 1, app, &err);
  if (err != OPUS_OK || !e->enc) {
    free(e);
    napi_throw_error(env, "ERR_OPUS_INIT", opus_strerror(err));
    return NULL;
  }
  if (napi_wrap(env, self, e, enc_finalize, NULL, NULL) != napi_ok) {
    opus_encoder_destroy(e->enc);
    free(e);
    napi_throw_error(env, "ERR_NAPI", "napi_wrap failed");
    return NULL;
  }
  return self;
}

/* encode(pcm: Float32Array[frameSamples], out: Uint8Array[>= 1275]) -> bytes or -opus error */
static napi_value enc_encode(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  void *pcm, *out;
  size_t pcm_len, out_len;
  Enc *e = live_enc(env, info, 2, argv);
  if (!e) return NULL;
  if (!get_array(env, argv[0], napi_float32_array, "pcm", &pcm, &pcm_len)) return NULL;
  if (!get_array(env, argv[1], napi_uint8_array, "out", &out, &out_len)) return NULL;
  if (pcm_len != (size_t)e->frame) {
    napi_throw_range_error(env, "ERR_FRAME_LENGTH", "pcm length must equal frameSamples");
    return NULL;
  }
  if (out_len < MAX_PACKET) {
    napi_throw_range_error(env, "ERR_BUFFER_TOO_SMALL", "out must hold at least 1275 bytes");
    return NULL;
  }
  return int32(env, opus_encode_float(e->enc, pcm, e->frame, out, MAX_PACKET));
}

/* set(request, value) for the integer CTLs the TypeScript layer exposes. */
static napi_value enc_ctl(napi_env env, napi_callback_info info, int request, int lo, int hi,
                          const char *name) {
  napi_value argv[1];
  int32_t v;
  Enc *e = live_enc(env, info, 1, argv);
  if (!e) return NULL;
  if (!get_int(env, argv[0], name, lo, hi, &v)) return NULL;
  return int32(env, opus_encoder_ctl(e->enc, request, v));
}

static napi_value enc_bitrate(napi_env env, napi_callback_info info) {
  return enc_ctl(env, info, OPUS_SET_BITRATE_REQUEST, 500, 512000, "bitrate");
}
static napi_value enc_complexity(napi_env env, napi_callback_info info) {
  return enc_ctl(env, info, OPUS_SET_COMPLEXITY_REQUEST, 0, 10, "complexity");
}
static napi_value enc_loss(napi_env env, napi_callback_info info) {
  return enc_ctl(env, info, OPUS_SET_PACKET_LOSS_PERC_REQUEST, 0, 100, "expectedLossPct");
}

static napi_value enc_flag(napi_env env, napi_callback_info info, int request, const char *name) {
  napi_value argv[1];
  int v;
  Enc *e = live_enc(env, info, 1, argv);
  if (!e) return NULL;
  if (!get_bool(env, argv[0], name, &v)) return NULL;
  return int32(env, opus_encoder_ctl(e->enc, request, v));
}

static napi_value enc_fec(napi_env env, napi_callback_info info) {
  return enc_flag(env, info, OPUS_SET_INBAND_FEC_REQUEST, "fec");
}
static napi_value enc_dtx(napi_env env, napi_callback_info info) {
  return enc_flag(env, info, OPUS_SET_DTX_REQUEST, "dtx");
}
static napi_value enc_prediction_disabled(napi_env env, napi_callback_info info) {
  return enc_flag(env, info, OPUS_SET_PREDICTION_DISABLED_REQUEST, "predictionDisabled");
}

static napi_value enc_lookahead(napi_env env, napi_callback_info info) {
  opus_int32 v = 0;
  Enc *e = live_enc(env, info, 0, NULL);
  if (!e) return NULL;
  int r = opus_encoder_ctl(e->enc, OPUS_GET_LOOKAHEAD(&v));
  return int32(env, r < 0 ? r : v);
}

static napi_value enc_destroy(napi_env env, napi_callback_info info) {
  Enc *e = get_this(env, info, 0, NULL);
  if (!e) return NULL;
  if (e->enc) opus_encoder_destroy(e->enc);
  e->enc = NULL;
  return NULL;
}

/* ---------------------------------------------------------------- decoder */

static void dec_finalize(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  Dec *d = data;
  if (d->dec) opus_decoder_destroy(d->dec);
  free(d);
}

static Dec *live_dec(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  Dec *d = get_this(env, info, want, argv);
  if (d && !d->dec) {
    napi_throw_error(env, "ERR_DESTROYED", "Opus decoder was destroyed");
    return NULL;
  }
  return d;
}

/* new Decoder(frameSamples) */
static napi_value dec_new(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self;
  int32_t frame;
  int err;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "Decoder(frameSamples)");
    return NULL;
  }
  if (!get_int(env, argv[0], "frameSamples", 120, 960, &frame)) return NULL;
  if (!valid_frame(frame)) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "frameSamples must be 120, 240, 480 or 960");
    return NULL;
  }
  Dec *d = calloc(1, sizeof *d);
  if (!d) { napi_throw_error(env, "ERR_NO_MEMORY", "out of memory"); return NULL; }
  d->frame = frame;
  d->dec = opus_decoder_create(SAMPLE_RATE, 1, &err);
  if (err != OPUS_OK || !d->dec) {
    free(d);
    napi_throw_error(env, "ERR_OPUS_INIT", opus_strerror(err));
    return NULL;
  }
  if (napi_wrap(env, self, d, dec_finalize, NULL, NULL) != napi_ok) {
    opus_decoder_destroy(d->dec);
    free(d);
    napi_throw_error(env, "ERR_NAPI", "napi_wrap failed");
    return NULL;
  }
  return self;
}

static float *get_out(napi_env env, napi_value v, Dec *d) {
  void *out;
  size_t len;
  if (!get_array(env, v, napi_float32_array, "out", &out, &len)) return NULL;
  if (len < (size_t)d->frame) {
    napi_throw_range_error(env, "ERR_BUFFER_TOO_SMALL", "out must hold at least frameSamples samples");
    return NULL;
  }
  return out;
}

/*
 * Checks a received packet before libopus sees it: non-empty (an empty one
 * would silently mean "conceal"), and exactly one frame long, so that every
 * call yields frameSamples samples. Returns 0 or a negative Opus error.
 */
static int check_packet(const unsigned char *p, size_t len, int frame) {
  if (len == 0 || len > (size_t)INT32_MAX) return OPUS_INVALID_PACKET;
  int n = opus_packet_get_nb_samples(p, (opus_int32)len, SAMPLE_RATE);
  if (n <= 0) return n < 0 ? n : OPUS_INVALID_PACKET;
  return n == frame ? 0 : OPUS_BAD_ARG;
}

/* decode(packet: Uint8Array, out: Float32Array) -> samples or -opus error */
static napi_value dec_decode_impl(napi_env env, napi_callback_info info, int fec) {
  napi_value argv[2];
  void *pkt;
  size_t len;
  Dec *d = live_dec(env, info, 2, argv);
  if (!d) return NULL;
  if (!get_array(env, argv[0], napi_uint8_array, "packet", &pkt, &len)) return NULL;
  float *out = get_out(env, argv[1], d);
  if (!out) return NULL;
  int r = check_packet(pkt, len, d->frame);
  if (r < 0) return int32(env, r);
  /* With fec=1 libopus returns the frame before `pkt` from its LBRR data, or
     plain PLC when the packet carries none (CELT-only packets never do). */
  return int32(env, opus_decode_float(d->dec, pkt, (opus_int32)len, out, d->frame, fec));
}

static napi_value dec_decode(napi_env env, napi_callback_info info) {
  return dec_decode_impl(env, info, 0);
}
static napi_value dec_decode_fec(napi_env env, napi_callback_info info) {
  return dec_decode_impl(env, info, 1);
}

/* conceal(out: Float32Array) -> samples: Opus PLC of exactly one frame. */
static napi_value dec_conceal(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  Dec *d = live_dec(env, info, 1, argv);
  if (!d) return NULL;
  float *out = get_out(env, argv[0], d);
  if (!out) return NULL;
  return int32(env, opus_decode_float(d->dec, NULL, 0, out, d->frame, 0));
}

static napi_value dec_destroy(napi_env env, napi_callback_info info) {
  Dec *d = get_this(env, info, 0, NULL);
  if (!d) return NULL;
  if (d->dec) opus_decoder_destroy(d->dec);
  d->dec = NULL;
  return NULL;
}

/* ---------------------------------------------------------------- module */

static napi_value strerror_js(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], r;
  int32_t code;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !get_int(env, argv[0], "code", INT32_MIN, INT32_MAX, &code)) return NULL;
  CHECK(env, napi_create_string_utf8(env, opus_strerror(code), NAPI_AUTO_LENGTH, &r));
  return r;
}

#define METHOD(name, fn) { name, NULL, fn, NULL, NULL, NULL, napi_default, NULL }

static napi_value init(napi_env env, napi_value exports) {
  napi_value enc_class, dec_class, version, fn;
  napi_property_descriptor enc_props[] = {
    METHOD("encode", enc_encode),
    METHOD("setBitrate", enc_bitrate),
    METHOD("setComplexity", enc_complexity),
    METHOD("setExpectedLoss", enc_loss),
    METHOD("setFec", enc_fec),
    METHOD("setDtx", enc_dtx),
    METHOD("setPredictionDisabled", enc_prediction_disabled),
    METHOD("lookahead", enc_lookahead),
    METHOD("destroy", enc_destroy),
  };
  napi_property_descriptor dec_props[] = {
    METHOD("decode", dec_decode),
    METHOD("decodeFec", dec_decode_fec),
    METHOD("conceal", dec_conceal),
    METHOD("destroy", dec_destroy),
  };
  CHECK(env, napi_define_class(env, "OpusEncoder", NAPI_AUTO_LENGTH, enc_new, NULL,
                               sizeof enc_props / sizeof enc_props[0], enc_props, &enc_class));
  CHECK(env, napi_define_class(env, "OpusDecoder", NAPI_AUTO_LENGTH, dec_new, NULL,
                               sizeof dec_props / sizeof dec_props[0], dec_props, &dec_class));
  CHECK(env, napi_create_string_utf8(env, opus_get_version_string(), NAPI_AUTO_LENGTH, &version));
  CHECK(env, napi_create_function(env, "strerror", NAPI_AUTO_LENGTH, strerror_js, NULL, &fn));
  CHECK(env, napi_set_named_property(env, exports, "Encoder", enc_class));
  CHECK(env, napi_set_named_property(env, exports, "Decoder", dec_class));
  CHECK(env, napi_set_named_property(env, exports, "version", version));
  CHECK(env, napi_set_named_property(env, exports, "strerror", fn));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
