/*
 * kvstore — a replicated key-value store, written in plain C99 against
 * baton_plugin.h alone. It is the proof that a third party needs nothing from
 * Baton but the header:
 *
 *     cc -std=c99 -shared -fPIC -I PluginAPI/include Plugins/KVStore/kvstore.c -o libkvstore.so
 *
 * Transactions:  "key=value"  (key 1..64 bytes without '=', value 0..1024 bytes)
 * Payload:       a sequence of [u32 little-endian length][transaction bytes]
 * Query:         request = key  -> response = value (error if absent);
 *                request empty  -> {"blocks":N,"state_hash":"<hex>"}
 * Functions:     (ABI 1.3, typed, called by name: `baton call`, POST /v1/apps/call)
 *                get(key: str) -> bytes   the value, or null if absent
 *                has(key: str) -> bool    whether the key is set
 *                count() -> u64           how many keys are set
 *                valid_key(key: str) -> bool  whether a transaction may set this key
 *                                         (pure: the cheapest call, for benchmarks)
 * State hash:    h_n = SHA-256(h_{n-1} || payload_n), h_0 = 32 zero bytes, so
 *                equal hashes mean equal histories. Kept in the host's store
 *                (key "m/hash"); entries live under "d/<key>".
 * Uniqueness:    the host commits identical bytes once while they may sit in a
 *                mempool (about a minute); after that "k=v" sent again is
 *                applied again, which a plain put makes harmless. An app that
 *                must never apply a transaction twice carries a nonce.
 */
#include "baton_plugin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KV_KEY_BYTES_MAX 64
#define KV_VALUE_BYTES_MAX 1024
#define KV_BLOCK_TXS_MAX 1000
#define KV_PAYLOAD_BYTES_MAX (1024 * 1024)

static const uint8_t HASH_KEY[] = "m/hash";
static const uint8_t BLOCKS_KEY[] = "m/blocks";

typedef struct kv_instance {
    const baton_host *host;
} kv_instance;

static baton_bytes bytes_of(const void *ptr, size_t len) {
    baton_bytes b;
    b.ptr = (const uint8_t *)ptr;
    b.len = len;
    return b;
}

static void write_text(const baton_writer *w, const char *text) {
    (void)w->write(w->ctx, (const uint8_t *)text, strlen(text));
}

/* Returns the offset of '=' if tx is a well-formed "key=value", else -1 and a reason. */
static long parse_tx(baton_bytes tx, const char **reason) {
    const uint8_t *eq = tx.len ? memchr(tx.ptr, '=', tx.len) : NULL;
    if (eq == NULL) { *reason = "expected key=value"; return -1; }
    size_t key_len = (size_t)(eq - tx.ptr);
    size_t value_len = tx.len - key_len - 1;
    if (key_len == 0) { *reason = "empty key"; return -1; }
    if (key_len > KV_KEY_BYTES_MAX) { *reason = "key longer than 64 bytes"; return -1; }
    if (value_len > KV_VALUE_BYTES_MAX) { *reason = "value longer than 1024 bytes"; return -1; }
    return (long)key_len;
}

/* Walks a payload; calls visit for each transaction. Returns NULL or a reason. */
typedef int (*tx_visit)(kv_instance *kv, baton_bytes tx, long eq);
static const char *walk_payload(kv_instance *kv, baton_bytes payload, tx_visit visit) {
    size_t at = 0, count = 0;
    while (at < payload.len) {
        if (payload.len - at < 4) return "truncated length prefix";
        uint32_t len = (uint32_t)payload.ptr[at] | (uint32_t)payload.ptr[at + 1] << 8 |
                       (uint32_t)payload.ptr[at + 2] << 16 | (uint32_t)payload.ptr[at + 3] << 24;
        at += 4;
        if (len > payload.len - at) return "transaction runs past the payload";
        if (++count > KV_BLOCK_TXS_MAX) return "more than 1000 transactions";
        const char *reason = NULL;
        baton_bytes tx = bytes_of(payload.ptr + at, len);
        long eq = parse_tx(tx, &reason);
        if (eq < 0) return reason;
        if (visit != NULL && visit(kv, tx, eq) != 0) return "store write failed";
        at += len;
    }
    return NULL;
}

/* ---- host-store helpers ---- */

typedef struct fixed_buffer { uint8_t *data; size_t cap; size_t len; } fixed_buffer;

static baton_status fixed_write(void *ctx, const uint8_t *data, size_t len) {
    fixed_buffer *b = (fixed_buffer *)ctx;
    if (len > b->cap - b->len) return BATON_ERR_TOO_LARGE;
    if (len) memcpy(b->data + b->len, data, len);
    b->len += len;
    return BATON_OK;
}

static baton_writer fixed_writer(fixed_buffer *b) {
    baton_writer w;
    w.struct_size = sizeof(baton_writer);
    w.reserved = 0;
    w.ctx = b;
    w.write = fixed_write;
    return w;
}

static baton_status load_state(kv_instance *kv, uint8_t hash[32], uint64_t *entries) {
    fixed_buffer hb = {hash, 32, 0};
    baton_writer hw = fixed_writer(&hb);
    baton_status s = kv->host->kv_get(kv->host, bytes_of(HASH_KEY, sizeof HASH_KEY - 1), &hw);
    if (s == BATON_NOT_FOUND) memset(hash, 0, 32);
    else if (s != BATON_OK || hb.len != 32) return BATON_ERROR;
    uint8_t raw[8] = {0};
    fixed_buffer cb = {raw, 8, 0};
    baton_writer cw = fixed_writer(&cb);
    s = kv->host->kv_get(kv->host, bytes_of(BLOCKS_KEY, sizeof BLOCKS_KEY - 1), &cw);
    if (s != BATON_OK && s != BATON_NOT_FOUND) return BATON_ERROR;
    *entries = 0;
    for (int i = 7; i >= 0; i--) *entries = (*entries << 8) | raw[i];
    return BATON_OK;
}

/* ---- the ABI calls ---- */

static baton_status kv_create(const baton_plugin *plugin, const baton_host *host, baton_bytes config,
                              const baton_writer *error, void **out_instance) {
    (void)plugin;
    if (config.len != 0) {
        write_text(error, "kvstore takes no configuration; pass empty config");
        return BATON_ERROR;
    }
    kv_instance *kv = calloc(1, sizeof *kv);
    if (kv == NULL) { write_text(error, "out of memory"); return BATON_ERROR; }
    kv->host = host;
    *out_instance = kv;
    return BATON_OK;
}

static void kv_destroy(void *instance) { free(instance); }

static baton_status kv_check_tx(void *instance, baton_bytes tx, const baton_writer *reason) {
    (void)instance;
    const char *why = NULL;
    if (parse_tx(tx, &why) < 0) { write_text(reason, why); return BATON_REJECT; }
    return BATON_OK;
}

static baton_status kv_produce(void *instance, const baton_block_context *context,
                               const baton_bytes *candidates, size_t count, uint8_t *included,
                               uint64_t token, const baton_writer *payload, const baton_writer *error) {
    (void)instance; (void)context; (void)token; (void)error;
    size_t bytes = 0, taken = 0;
    for (size_t i = 0; i < count && taken < KV_BLOCK_TXS_MAX; i++) {
        const char *why = NULL;
        if (parse_tx(candidates[i], &why) < 0) continue;
        if (bytes + 4 + candidates[i].len > KV_PAYLOAD_BYTES_MAX) break;
        uint32_t n = (uint32_t)candidates[i].len;
        uint8_t prefix[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
        if (payload->write(payload->ctx, prefix, 4) != BATON_OK) break;
        if (payload->write(payload->ctx, candidates[i].ptr, candidates[i].len) != BATON_OK) {
            write_text(error, "payload writer refused a transaction after its length prefix");
            return BATON_ERROR;
        }
        bytes += 4 + candidates[i].len;
        included[i] = 1;
        taken++;
    }
    return BATON_OK;
}

static baton_status kv_validate(void *instance, const baton_block_context *context, baton_bytes payload,
                                uint64_t token, const baton_writer *reason) {
    (void)context; (void)token;
    const char *why = walk_payload((kv_instance *)instance, payload, NULL);
    if (why != NULL) { write_text(reason, why); return BATON_REJECT; }
    return BATON_OK;
}

static int apply_tx(kv_instance *kv, baton_bytes tx, long eq) {
    uint8_t key[2 + KV_KEY_BYTES_MAX];
    key[0] = 'd'; key[1] = '/';
    memcpy(key + 2, tx.ptr, (size_t)eq);
    baton_bytes value = bytes_of(tx.ptr + eq + 1, tx.len - (size_t)eq - 1);
    return kv->host->kv_put(kv->host, bytes_of(key, 2 + (size_t)eq), value) == BATON_OK ? 0 : 1;
}

static baton_status kv_commit(void *instance, const baton_block_context *context, baton_bytes payload,
                              uint8_t state_hash[32], const baton_writer *error) {
    (void)context;
    kv_instance *kv = (kv_instance *)instance;
    uint8_t previous[32];
    uint64_t entries = 0;
    if (load_state(kv, previous, &entries) != BATON_OK) { write_text(error, "stored state unreadable"); return BATON_ERROR; }
    const char *why = walk_payload(kv, payload, apply_tx);
    if (why != NULL) { write_text(error, why); return BATON_ERROR; }

    /* h_n = SHA-256(h_{n-1} || payload) */
    size_t chained_len = 32 + payload.len;
    uint8_t *chained = malloc(chained_len);
    if (chained == NULL) { write_text(error, "out of memory"); return BATON_ERROR; }
    memcpy(chained, previous, 32);
    if (payload.len) memcpy(chained + 32, payload.ptr, payload.len);
    kv->host->sha256(kv->host, bytes_of(chained, chained_len), state_hash);
    free(chained);

    entries += 1;
    uint8_t raw[8];
    for (int i = 0; i < 8; i++) raw[i] = (uint8_t)(entries >> (8 * i));
    if (kv->host->kv_put(kv->host, bytes_of(HASH_KEY, sizeof HASH_KEY - 1), bytes_of(state_hash, 32)) != BATON_OK ||
        kv->host->kv_put(kv->host, bytes_of(BLOCKS_KEY, sizeof BLOCKS_KEY - 1), bytes_of(raw, 8)) != BATON_OK) {
        write_text(error, "store write failed");
        return BATON_ERROR;
    }
    return BATON_OK;
}

static baton_status kv_query(void *instance, baton_bytes request, const baton_writer *response,
                             const baton_writer *error) {
    kv_instance *kv = (kv_instance *)instance;
    if (request.len == 0) {
        uint8_t hash[32];
        uint64_t blocks = 0;
        if (load_state(kv, hash, &blocks) != BATON_OK) { write_text(error, "stored state unreadable"); return BATON_ERROR; }
        char text[128];
        int n = snprintf(text, sizeof text, "{\"blocks\":%llu,\"state_hash\":\"", (unsigned long long)blocks);
        for (int i = 0; i < 32; i++) n += snprintf(text + n, sizeof text - (size_t)n, "%02x", hash[i]);
        snprintf(text + n, sizeof text - (size_t)n, "\"}");
        write_text(response, text);
        return BATON_OK;
    }
    if (request.len > KV_KEY_BYTES_MAX) { write_text(error, "key longer than 64 bytes"); return BATON_ERROR; }
    uint8_t key[2 + KV_KEY_BYTES_MAX];
    key[0] = 'd'; key[1] = '/';
    memcpy(key + 2, request.ptr, request.len);
    baton_status s = kv->host->kv_get(kv->host, bytes_of(key, 2 + request.len), response);
    if (s == BATON_NOT_FOUND) { write_text(error, "no such key"); return BATON_ERROR; }
    if (s != BATON_OK) { write_text(error, "store read failed"); return BATON_ERROR; }
    return BATON_OK;
}

/* ABI 1.2: the transactions a payload carries. The payload's framing
 * ([u32 LE length][tx]...) is exactly the answer's, so a well-formed payload
 * is written back as it is. */
static baton_status kv_block_transactions(void *instance, baton_bytes payload, const baton_writer *transactions,
                                          const baton_writer *error) {
    const char *why = walk_payload((kv_instance *)instance, payload, NULL);
    if (why != NULL) { write_text(error, why); return BATON_ERROR; }
    if (payload.len > 0 && transactions->write(transactions->ctx, payload.ptr, payload.len) != BATON_OK) {
        write_text(error, "transaction list too large");
        return BATON_ERROR;
    }
    return BATON_OK;
}

/* ---- typed functions (ABI 1.3) ----
 * Ordinary C functions with their own signatures; the host calls them
 * through libffi as the table below declares. They must be exported. */

/* "d/" + key into `out` (2 + KV_KEY_BYTES_MAX bytes); 0 if the key is not one a
 * transaction could have set. */
static size_t data_key(const char *key, uint8_t *out) {
    size_t len = strlen(key);
    if (len == 0 || len > KV_KEY_BYTES_MAX || memchr(key, '=', len) != NULL) return 0;
    out[0] = 'd'; out[1] = '/';
    memcpy(out + 2, key, len);
    return 2 + len;
}

BATON_PLUGIN_EXPORT baton_status kvstore_get(void *instance, const baton_host *host, const char *key,
                                             const baton_writer *out);
BATON_PLUGIN_EXPORT baton_status kvstore_get(void *instance, const baton_host *host, const char *key,
                                             const baton_writer *out) {
    (void)instance;
    uint8_t stored[2 + KV_KEY_BYTES_MAX];
    size_t n = data_key(key, stored);
    if (n == 0) { write_text(out, "a key is 1..64 bytes without '='"); return BATON_REJECT; }
    baton_status s = host->kv_get(host, bytes_of(stored, n), out);
    if (s == BATON_OK || s == BATON_NOT_FOUND) return s;
    write_text(out, "store read failed");
    return BATON_ERROR;
}

BATON_PLUGIN_EXPORT uint8_t kvstore_has(void *instance, const baton_host *host, const char *key);
BATON_PLUGIN_EXPORT uint8_t kvstore_has(void *instance, const baton_host *host, const char *key) {
    (void)instance;
    uint8_t stored[2 + KV_KEY_BYTES_MAX];
    size_t n = data_key(key, stored);
    return n != 0 && host->kv_get(host, bytes_of(stored, n), NULL) == BATON_OK;
}

BATON_PLUGIN_EXPORT uint8_t kvstore_valid_key(void *instance, const baton_host *host, const char *key);
BATON_PLUGIN_EXPORT uint8_t kvstore_valid_key(void *instance, const baton_host *host, const char *key) {
    (void)instance; (void)host;
    uint8_t stored[2 + KV_KEY_BYTES_MAX];
    return data_key(key, stored) != 0;
}

static int32_t count_one(void *ctx, baton_bytes key, baton_bytes value) {
    (void)key; (void)value;
    *(uint64_t *)ctx += 1;
    return 0;
}

BATON_PLUGIN_EXPORT uint64_t kvstore_count(void *instance, const baton_host *host);
BATON_PLUGIN_EXPORT uint64_t kvstore_count(void *instance, const baton_host *host) {
    (void)instance;
    uint64_t count = 0;
    (void)host->kv_iterate(host, bytes_of("d/", 2), count_one, &count);
    return count;
}

static const baton_function KV_GET = {
    sizeof(baton_function), 0, "get", "kvstore_get", "(key: str) -> bytes", "The value of a key, or null if it is not set"};
static const baton_function KV_HAS = {
    sizeof(baton_function), 0, "has", "kvstore_has", "(key: str) -> bool", "Whether a key is set"};
static const baton_function KV_COUNT = {
    sizeof(baton_function), 0, "count", "kvstore_count", "() -> u64", "How many keys are set"};
static const baton_function KV_VALID_KEY = {
    sizeof(baton_function), 0, "valid_key", "kvstore_valid_key", "(key: str) -> bool",
    "Whether a transaction may set this key (1-64 bytes, no '=')"};
static const baton_function *const KV_FUNCTIONS[] = {&KV_GET, &KV_HAS, &KV_COUNT, &KV_VALID_KEY};

static const baton_plugin KVSTORE = {
    sizeof(baton_plugin), BATON_PLUGIN_ABI_MAJOR, BATON_PLUGIN_ABI_MINOR, 0,
    "kvstore", "1.1.0", "A replicated key-value store in plain C (transactions: key=value)",
    NULL,
    kv_create, kv_destroy, kv_check_tx, kv_produce, kv_validate, kv_commit, kv_query,
    kv_block_transactions,
    KV_FUNCTIONS, sizeof KV_FUNCTIONS / sizeof KV_FUNCTIONS[0],
    NULL, /* migrate_state (1.4): nothing to migrate */
    /* 1.6: check_tx, query and the functions read only the host store, so a
     * second, read-only instance may serve them beside the first. */
    BATON_PLUGIN_SECOND_INSTANCE,
    /* 1.7: the state hash chains the history, which the keys alone cannot give
     * back; a restored snapshot is trusted on its vouched chunk hashes. */
    NULL, /* state_hash_from_store */
    NULL, /* retain_height: no wish, the node's window */
};

BATON_PLUGIN_DEFINE_ENTRY(KVSTORE)
