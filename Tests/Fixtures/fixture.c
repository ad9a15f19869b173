/*
 * Test fixture plugin, compiled by the tests with the toolchain's C compiler.
 * Preprocessor switches make the broken variants the loader must refuse:
 *   -DFIXTURE_NO_ENTRY        no baton_plugin_entry symbol
 *   -DFIXTURE_ABI_MAJOR=N     claims ABI major N
 *   -DFIXTURE_SHORT_TABLE     struct_size ends before check_tx
 *   -DFIXTURE_NULL_QUERY      query is NULL
 *   -DFIXTURE_NAME="..."      a different (e.g. invalid) name
 *   -DFIXTURE_NULL_ENTRY      entry returns NULL
 *   -DFIXTURE_FUNCTIONS       (ABI 1.3 header) exports typed functions of
 *                             every type of the signature language (below)
 *   -DFIXTURE_BAD_FUNCTION=N  with FIXTURE_FUNCTIONS: declaration N is broken
 *                             (1 missing symbol, 2 bad signature, 3 name used
 *                             twice, 4 NULL in the table, 5 struct_size too
 *                             small, 6 more than BATON_FUNCTIONS_MAX)
 *   -DFIXTURE_MINOR=N         claims ABI minor N (with the table it has)
 *   -DFIXTURE_MIGRATES        (ABI 1.4 header) exports migrate_state: stores
 *                             "from NAME VERSION" under "migrated"; config
 *                             "migrate-fails" makes it fail
 *   -DFIXTURE_COPIES_CONTEXT  produce_block copies *context whole (an
 *                             over-read against a 1.0 host's shorter context)
 *   -DFIXTURE_SECOND_INSTANCE (ABI 1.6 header) sets BATON_PLUGIN_SECOND_INSTANCE
 *   -DFIXTURE_RECOMPUTES      (ABI 1.7 header) commit also stores its hash
 *                             under "h"; state_hash_from_store answers it
 *                             (config "state-hash-wrong": one bit flipped,
 *                             "state-hash-unknown": BATON_NOT_FOUND,
 *                             "state-hash-fails": BATON_ERROR); retain_height
 *                             answers the number of blocks committed ("n")
 *   -DFIXTURE_NONDETERMINISTIC_FROM=H
 *                             from height H on, the state hash mixes in the
 *                             process id: a non-deterministic app, which the
 *                             host's app-agreement rules must catch
 *
 * Without switches it is a working plugin whose behaviour the config picks,
 * to drive the host through every contract violation and the pending path:
 *   ""                   accepts everything; commit stores "n" = block count
 *   "create-fails"       create returns BATON_ERROR with a message
 *   "create-no-instance" create returns BATON_OK without an instance
 *   "bad-status"         every call returns 42
 *   "huge"               writes 64 MiB of output in 1 MiB pieces
 *   "write-outside"      tries kv_put in check_tx/validate/query (expects read-only)
 *   "pending"            produce/validate answer pending; a thread completes
 *                        (validate: payload "good" -> valid, else reject)
 *   "pending-never"      validate answers pending and never completes
 *   "complete-and-ok"    completes the token inside validate, then returns OK
 *   "commit-fails"       commit writes a key, then returns BATON_ERROR
 *   "crash-commit"       commit_block calls abort(): a plugin that crashes
 *   "pending-reject-produce"  produce answers pending; the completion first
 *                        says BATON_REJECT (which produce cannot answer), then OK
 *   "abuse-host"         check_tx calls the host with NULLs, oversized keys and
 *                        unknown tokens; accepts only if every call was refused
 *
 * In every mode, a slow plugin on demand: check_tx of a transaction
 * "slow:MS..." and a query "slow:MS" sleep MS milliseconds first;
 * produce_block sleeps MS if a candidate holds "stall-produce:MS",
 * validate_block and commit_block if the payload holds "stall-validate:MS"
 * or "stall-commit:MS".
 *
 * Crashes on demand, for plugin_isolation = "process" (never in a test's
 * own process): commit_block of a payload holding "segv-always" dereferences
 * NULL; one holding "segv-once:PATH" does so only if the file PATH does not
 * exist yet (it creates it first), so the restarted child applies the block.
 *
 * In every working mode commit also obeys its payload: "committee:KEY:W:ADDR"
 * (ABI 1.5) changes the committee (KEY 66 hex digits, weight W, ADDR host:port
 * or nothing), "put:K" stores K,
 * "del:K" deletes it, "putscan:K" stores K then records the keys it can see
 * (committed plus its own staged writes) under "seen". Query "scan" lists the
 * keys ("a;b;"), "get:K" returns K's value.
 */
#define _POSIX_C_SOURCE 200809L
#include <unistd.h>
#include "baton_plugin.h"

#include <stdio.h>

#include <time.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#ifndef FIXTURE_ABI_MAJOR
#define FIXTURE_ABI_MAJOR BATON_PLUGIN_ABI_MAJOR
#endif
#ifndef FIXTURE_NAME
#define FIXTURE_NAME "fixture"
#endif

typedef struct fixture {
    const baton_host *host;
    char mode[32];
    pthread_t thread;
    int thread_running;
    uint64_t token;
    int pending_call; /* 0 produce, 1 validate */
    uint8_t payload[64];
    size_t payload_len;
    baton_status last_complete; /* what the host answered the completion */
    baton_status second_complete;
} fixture;

static int is(const fixture *f, const char *mode) { return strcmp(f->mode, mode) == 0; }

static void say(const baton_writer *w, const char *text) { w->write(w->ctx, (const uint8_t *)text, strlen(text)); }

static baton_bytes bytes_of(const void *p, size_t n) { baton_bytes b; b.ptr = (const uint8_t *)p; b.len = n; return b; }

static baton_status huge(const baton_writer *w) {
    static uint8_t chunk[1 << 20];
    for (int i = 0; i < 64; i++) {
        if (w->write(w->ctx, chunk, sizeof chunk) != BATON_OK) return BATON_ERROR;
    }
    return BATON_OK;
}

/* Writes outside commit must be refused; returns an error if the host let it through. */
static baton_status try_write(fixture *f, const baton_writer *w) {
    baton_status s = f->host->kv_put(f->host, bytes_of("k", 1), bytes_of("v", 1));
    if (s == BATON_ERR_READ_ONLY) { say(w, "read-only as expected"); return BATON_ERROR; }
    say(w, "host accepted a write outside commit");
    return BATON_ERROR;
}

static void *completer(void *arg) {
    fixture *f = (fixture *)arg;
    if (f->pending_call == 0 && is(f, "pending-reject-produce")) {
        /* A status produce_block cannot answer (refused, token stays open), then a proper one. */
        f->last_complete = f->host->complete(f->host, f->token, BATON_REJECT, bytes_of("no", 2));
        f->second_complete = f->host->complete(f->host, f->token, BATON_OK, bytes_of("late-payload", 12));
        return NULL;
    }
    if (f->pending_call == 0) {
        f->last_complete = f->host->complete(f->host, f->token, BATON_OK, bytes_of("late-payload", 12));
    } else if (f->payload_len == 4 && memcmp(f->payload, "good", 4) == 0) {
        f->last_complete = f->host->complete(f->host, f->token, BATON_OK, bytes_of(NULL, 0));
    } else {
        f->last_complete = f->host->complete(f->host, f->token, BATON_REJECT, bytes_of("late no", 7));
    }
    /* A second completion of the same token must be refused. */
    f->second_complete = f->host->complete(f->host, f->token, BATON_OK, bytes_of(NULL, 0));
    return NULL;
}

static void join(fixture *f) {
    if (f->thread_running) { pthread_join(f->thread, NULL); f->thread_running = 0; }
}

static void start_completer(fixture *f, int call, uint64_t token, baton_bytes payload) {
    join(f);
    f->pending_call = call;
    f->token = token;
    f->payload_len = payload.len < sizeof f->payload ? payload.len : sizeof f->payload;
    if (f->payload_len) memcpy(f->payload, payload.ptr, f->payload_len);
    f->thread_running = pthread_create(&f->thread, NULL, completer, f) == 0;
}

typedef struct key_list { char text[512]; size_t len; } key_list;

static int32_t collect_key(void *ctx, baton_bytes key, baton_bytes value) {
    key_list *list = (key_list *)ctx;
    (void)value;
    if (list->len + key.len + 1 > sizeof list->text) return 1;
    memcpy(list->text + list->len, key.ptr, key.len);
    list->len += key.len;
    list->text[list->len++] = ';';
    return 0;
}

static int starts(baton_bytes b, const char *prefix) {
    size_t n = strlen(prefix);
    return b.len >= n && memcmp(b.ptr, prefix, n) == 0;
}

#if BATON_PLUGIN_ABI_MINOR >= 5
static int hex_digit(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* "committee:<66 hex digits>:<weight>:<host:port or nothing>" asks the host
 * to change the committee (ABI 1.5), if the host has update_committee. */
static baton_status change_committee(const baton_host *h, baton_bytes payload) {
    if (!BATON_HAS_FIELD(h, baton_host, update_committee)) return BATON_OK;
    const uint8_t *p = payload.ptr + 10;
    size_t left = payload.len - 10;
    uint8_t key[33];
    if (left < 67 || p[66] != ':') return BATON_OK;
    for (size_t i = 0; i < 33; i++) {
        int hi = hex_digit(p[2 * i]), lo = hex_digit(p[2 * i + 1]);
        if (hi < 0 || lo < 0) return BATON_OK;
        key[i] = (uint8_t)(hi * 16 + lo);
    }
    p += 67;
    left -= 67;
    uint64_t weight = 0;
    while (left > 0 && *p != ':') {
        if (*p < '0' || *p > '9') return BATON_OK;
        weight = weight * 10 + (uint64_t)(*p - '0');
        p++;
        left--;
    }
    if (left > 0) { p++; left--; }
    /* The host's answer is kept under "committee-status" (the status's absolute
     * value as one digit), so a test reads what a bad request got. */
    baton_status answer = h->update_committee(h, bytes_of(key, sizeof key), weight, bytes_of(left > 0 ? p : NULL, left));
    uint8_t digit = (uint8_t)('0' + (answer < 0 ? -answer : answer));
    return h->kv_put(h, bytes_of("committee-status", 16), bytes_of(&digit, 1));
}
#endif

static baton_status obey(fixture *f, baton_bytes payload) {
    const baton_host *h = f->host;
#if BATON_PLUGIN_ABI_MINOR >= 5
    if (starts(payload, "committee:")) return change_committee(h, payload);
#endif
    if (starts(payload, "put:")) return h->kv_put(h, bytes_of(payload.ptr + 4, payload.len - 4), bytes_of("1", 1));
    if (starts(payload, "del:")) return h->kv_delete(h, bytes_of(payload.ptr + 4, payload.len - 4));
    if (starts(payload, "putscan:")) {
        baton_status s = h->kv_put(h, bytes_of(payload.ptr + 8, payload.len - 8), bytes_of("1", 1));
        key_list seen = {{0}, 0};
        if (s == BATON_OK) s = h->kv_iterate(h, bytes_of(NULL, 0), collect_key, &seen);
        if (s == BATON_OK) s = h->kv_put(h, bytes_of("seen", 4), bytes_of(seen.text, seen.len));
        return s;
    }
    return BATON_OK;
}

/* Every call here is malformed; the host must refuse each without crashing. */
static baton_status abuse_host(fixture *f, const baton_writer *reason) {
    const baton_host *h = f->host;
    uint8_t big[5000] = {0};
    h->log(h, BATON_LOG_INFO, NULL, 10);
    h->sha256(h, bytes_of("abc", 3), NULL);
    h->sha256(h, bytes_of(NULL, 3), big);
    /* A NULL writer only asks whether the key exists (header: value is nullable). */
    baton_status exists = h->kv_get(h, bytes_of("n", 1), NULL);
    if (exists != BATON_OK && exists != BATON_NOT_FOUND) { say(reason, "kv_get NULL writer"); return BATON_REJECT; }
    if (h->kv_get(h, bytes_of(NULL, 5), NULL) != BATON_ERR_INVALID_ARGUMENT) { say(reason, "kv_get NULL key"); return BATON_REJECT; }
    if (h->kv_iterate(h, bytes_of(NULL, 0), NULL, NULL) != BATON_ERR_INVALID_ARGUMENT) { say(reason, "kv_iterate NULL visitor"); return BATON_REJECT; }
    if (h->kv_put(h, bytes_of(NULL, 4), bytes_of("v", 1)) != BATON_ERR_INVALID_ARGUMENT) { say(reason, "kv_put NULL key"); return BATON_REJECT; }
    if (h->complete(h, 999, BATON_OK, bytes_of(NULL, 0)) != BATON_ERR_INVALID_ARGUMENT) { say(reason, "complete unknown token"); return BATON_REJECT; }
    (void)big;
    return BATON_OK;
}

/* Where `tag` occurs in `bytes`, or -1. */
static long find(baton_bytes bytes, const char *tag) {
    size_t n = strlen(tag);
    for (size_t at = 0; at + n <= bytes.len; at++) {
        if (memcmp(bytes.ptr + at, tag, n) == 0) return (long)at;
    }
    return -1;
}

static void segfault(void) {
    volatile int *nothing = NULL;
    *nothing = 1;
}

/* "segv-always" / "segv-once:PATH" in a committed payload (see the top). */
static void crash_if_asked(baton_bytes payload) {
    if (find(payload, "segv-always") >= 0) segfault();
    long at = find(payload, "segv-once:");
    if (at < 0) return;
    char path[256];
    size_t n = 0;
    for (size_t i = (size_t)at + 10; i < payload.len && payload.ptr[i] != ' ' && n < sizeof path - 1; i++) path[n++] = (char)payload.ptr[i];
    path[n] = 0;
    if (access(path, F_OK) == 0) return;
    FILE *marker = fopen(path, "w");
    if (marker) fclose(marker);
    segfault();
}

/* "slow:MS" or "stall-validate:MS" at the start of `bytes` + `at`: sleeps MS ms. */
static void sleep_if_asked(baton_bytes bytes, const char *tag) {
    size_t tag_len = strlen(tag);
    for (size_t at = 0; at + tag_len <= bytes.len; at++) {
        if (memcmp(bytes.ptr + at, tag, tag_len) != 0) continue;
        unsigned long ms = 0;
        for (size_t i = at + tag_len; i < bytes.len && bytes.ptr[i] >= '0' && bytes.ptr[i] <= '9' && ms < 3600000; i++) {
            ms = ms * 10 + (unsigned long)(bytes.ptr[i] - '0');
        }
        struct timespec pause;
        pause.tv_sec = (time_t)(ms / 1000);
        pause.tv_nsec = (long)(ms % 1000) * 1000000L;
        while (nanosleep(&pause, &pause) != 0) {}
        return;
    }
}

static baton_status fx_create(const baton_plugin *plugin, const baton_host *host, baton_bytes config,
                              const baton_writer *error, void **out) {
    (void)plugin;
    fixture *f = calloc(1, sizeof *f);
    if (!f) return BATON_ERROR;
    f->host = host;
    size_t n = config.len < sizeof f->mode - 1 ? config.len : sizeof f->mode - 1;
    if (n) memcpy(f->mode, config.ptr, n);
    if (is(f, "create-fails")) { free(f); say(error, "fixture: config says fail"); return BATON_ERROR; }
    if (is(f, "create-no-instance")) { free(f); return BATON_OK; }
    *out = f;
    return BATON_OK;
}

static void fx_destroy(void *instance) {
    fixture *f = (fixture *)instance;
    join(f);
    free(f);
}

static baton_status fx_check_tx(void *instance, baton_bytes tx, const baton_writer *reason) {
    fixture *f = (fixture *)instance;
    if (tx.len >= 5 && memcmp(tx.ptr, "slow:", 5) == 0) sleep_if_asked(bytes_of(tx.ptr, tx.len), "slow:");
    if (is(f, "bad-status")) return 42;
    if (is(f, "write-outside")) return try_write(f, reason);
    if (is(f, "abuse-host")) return abuse_host(f, reason);
    return BATON_OK;
}

static baton_status fx_produce(void *instance, const baton_block_context *ctx, const baton_bytes *candidates,
                               size_t count, uint8_t *included, uint64_t token, const baton_writer *payload,
                               const baton_writer *error) {
    fixture *f = (fixture *)instance;
    (void)ctx;
#ifdef FIXTURE_COPIES_CONTEXT
    /* The mistake the compatibility policy forbids: a whole-struct copy reads
     * past an older host's shorter context. */
    volatile baton_block_context copy = *ctx;
    if (copy.finality_proof.len == 12345) return BATON_ERROR;
#endif
    for (size_t i = 0; i < count; i++) sleep_if_asked(candidates[i], "stall-produce:");
    if (is(f, "bad-status")) return 42;
    if (is(f, "huge")) return huge(payload) == BATON_OK ? BATON_OK : (say(error, "payload refused"), BATON_ERROR);
    if (is(f, "pending") || is(f, "pending-reject-produce")) { start_completer(f, 0, token, bytes_of(NULL, 0)); return BATON_PENDING; }
    for (size_t i = 0; i < count; i++) {
        payload->write(payload->ctx, candidates[i].ptr, candidates[i].len);
        included[i] = 1;
    }
    return BATON_OK;
}

static baton_status fx_validate(void *instance, const baton_block_context *ctx, baton_bytes payload,
                                uint64_t token, const baton_writer *reason) {
    fixture *f = (fixture *)instance;
    (void)ctx;
    sleep_if_asked(payload, "stall-validate:");
    if (is(f, "bad-status")) return 42;
    if (is(f, "write-outside")) return try_write(f, reason);
    if (is(f, "pending")) { start_completer(f, 1, token, payload); return BATON_PENDING; }
    if (is(f, "pending-never")) return BATON_PENDING;
    if (is(f, "complete-and-ok")) {
        f->last_complete = f->host->complete(f->host, token, BATON_OK, bytes_of(NULL, 0));
        return BATON_OK;
    }
    return BATON_OK;
}

typedef struct first_byte { uint8_t value; int seen; } first_byte;

static baton_status keep_first(void *ctx, const uint8_t *data, size_t len) {
    first_byte *got = (first_byte *)ctx;
    if (len > 0 && !got->seen) { got->value = data[0]; got->seen = 1; }
    return BATON_OK;
}

/* Counts blocks under key "n" (one byte is plenty for tests); the state hash
 * is SHA-256 of the payload. */
/* The committed block count ("n"), 0 before any. */
static uint8_t stored_count(fixture *f) {
    first_byte got = {0, 0};
    baton_writer reader;
    reader.struct_size = sizeof reader;
    reader.reserved = 0;
    reader.ctx = &got;
    reader.write = keep_first;
    if (f->host->kv_get(f->host, bytes_of("n", 1), &reader) == BATON_OK && got.seen) return got.value;
    return 0;
}

static baton_status fx_commit(void *instance, const baton_block_context *ctx, baton_bytes payload,
                              uint8_t hash[32], const baton_writer *error) {
    fixture *f = (fixture *)instance;
    (void)ctx;
    sleep_if_asked(payload, "stall-commit:");
    crash_if_asked(payload);
    if (is(f, "bad-status")) return 42;
    uint8_t count = stored_count(f);
    count++;
    if (f->host->kv_put(f->host, bytes_of("n", 1), bytes_of(&count, 1)) != BATON_OK) {
        say(error, "kv_put refused inside commit");
        return BATON_ERROR;
    }
    if (is(f, "commit-fails")) { say(error, "fixture: commit fails on purpose"); return BATON_ERROR; }
    if (is(f, "crash-commit")) abort();
    if (is(f, "abuse-host")) {
        uint8_t big[5000] = {0};
        if (f->host->kv_put(f->host, bytes_of(big, sizeof big), bytes_of("v", 1)) != BATON_ERR_TOO_LARGE) {
            say(error, "host accepted a 5000-byte key");
            return BATON_ERROR;
        }
    }
    baton_status obeyed = obey(f, payload);
    if (obeyed != BATON_OK) { say(error, "store call refused"); return BATON_ERROR; }
#ifdef FIXTURE_NONDETERMINISTIC_FROM
    if (ctx->height >= FIXTURE_NONDETERMINISTIC_FROM) {
        /* The bug on purpose: this process's id enters the state. */
        uint8_t *mixed = malloc(payload.len + sizeof(pid_t));
        if (mixed == NULL) { say(error, "out of memory"); return BATON_ERROR; }
        pid_t pid = getpid();
        if (payload.len > 0) memcpy(mixed, payload.ptr, payload.len);
        memcpy(mixed + payload.len, &pid, sizeof pid);
        f->host->sha256(f->host, bytes_of(mixed, payload.len + sizeof pid), hash);
        free(mixed);
        return BATON_OK;
    }
#endif
    f->host->sha256(f->host, payload, hash);
#ifdef FIXTURE_RECOMPUTES
    if (f->host->kv_put(f->host, bytes_of("h", 1), bytes_of(hash, 32)) != BATON_OK) {
        say(error, "kv_put of the hash refused");
        return BATON_ERROR;
    }
#endif
    return BATON_OK;
}

#ifdef FIXTURE_RECOMPUTES
typedef struct hash_buffer { uint8_t bytes[32]; size_t len; } hash_buffer;

static baton_status keep_hash(void *ctx, const uint8_t *data, size_t len) {
    hash_buffer *b = (hash_buffer *)ctx;
    if (b->len + len > sizeof b->bytes) return BATON_ERR_TOO_LARGE;
    memcpy(b->bytes + b->len, data, len);
    b->len += len;
    return BATON_OK;
}

/* ABI 1.7: the hash commit stored, as if recomputed from the store. */
static baton_status fx_state_hash_from_store(void *instance, uint8_t hash[32], const baton_writer *error) {
    fixture *f = (fixture *)instance;
    if (is(f, "state-hash-unknown")) return BATON_NOT_FOUND;
    if (is(f, "state-hash-fails")) { say(error, "fixture: cannot read its state"); return BATON_ERROR; }
    hash_buffer got = {{0}, 0};
    baton_writer reader;
    reader.struct_size = sizeof reader;
    reader.reserved = 0;
    reader.ctx = &got;
    reader.write = keep_hash;
    baton_status s = f->host->kv_get(f->host, bytes_of("h", 1), &reader);
    if (s == BATON_NOT_FOUND) { memset(hash, 0, 32); return BATON_OK; }
    if (s != BATON_OK || got.len != 32) { say(error, "stored hash unreadable"); return BATON_ERROR; }
    memcpy(hash, got.bytes, 32);
    if (is(f, "state-hash-wrong")) hash[0] ^= 1;
    return BATON_OK;
}

/* ABI 1.7: keep every block from the number of blocks committed up. */
static uint64_t fx_retain_height(void *instance) { return stored_count((fixture *)instance); }
#endif

static baton_status fx_query(void *instance, baton_bytes request, const baton_writer *response,
                             const baton_writer *error) {
    fixture *f = (fixture *)instance;
    if (request.len >= 5 && memcmp(request.ptr, "slow:", 5) == 0) sleep_if_asked(request, "slow:");
    if (is(f, "bad-status")) return 42;
    if (is(f, "huge")) return huge(response) == BATON_OK ? BATON_OK : (say(error, "response refused"), BATON_ERROR);
    if (is(f, "write-outside")) return try_write(f, error);
    if (request.len == 7 && memcmp(request.ptr, "results", 7) == 0) {
        /* Reports what the host answered this plugin's completions. */
        char text[64];
        int n = 0;
        text[n++] = (char)('0' + (f->last_complete < 0 ? 0 : f->last_complete));
        text[n++] = f->last_complete < 0 ? '-' : '+';
        text[n++] = ',';
        text[n++] = f->second_complete == BATON_ERR_INVALID_ARGUMENT ? 'R' : 'A';
        response->write(response->ctx, (const uint8_t *)text, (size_t)n);
        return BATON_OK;
    }
    if (request.len == 4 && memcmp(request.ptr, "join", 4) == 0) { join(f); return BATON_OK; }
    if (request.len == 4 && memcmp(request.ptr, "scan", 4) == 0) {
        key_list all = {{0}, 0};
        if (f->host->kv_iterate(f->host, bytes_of(NULL, 0), collect_key, &all) != BATON_OK) return BATON_ERROR;
        response->write(response->ctx, (const uint8_t *)all.text, all.len);
        return BATON_OK;
    }
    if (starts(request, "get:")) {
        baton_status s = f->host->kv_get(f->host, bytes_of(request.ptr + 4, request.len - 4), response);
        if (s == BATON_NOT_FOUND) { say(error, "not found"); return BATON_ERROR; }
        return s;
    }
    response->write(response->ctx, request.ptr, request.len);
    return BATON_OK;
}

#ifdef FIXTURE_FUNCTIONS
/* ---- typed functions (ABI 1.3): one per type, and every answer ---- */
#include <stdio.h>

#define FX_EXPORT(ret, name, params) BATON_PLUGIN_EXPORT ret name params; BATON_PLUGIN_EXPORT ret name params

FX_EXPORT(int32_t, fx_fn_add, (void *i, const baton_host *h, int32_t a, int32_t b)) { (void)i; (void)h; return a + b; }
FX_EXPORT(int64_t, fx_fn_negate, (void *i, const baton_host *h, int64_t x)) { (void)i; (void)h; return -x; }
FX_EXPORT(uint32_t, fx_fn_max_u32, (void *i, const baton_host *h, uint32_t a, uint32_t b)) { (void)i; (void)h; return a > b ? a : b; }
FX_EXPORT(uint64_t, fx_fn_twice, (void *i, const baton_host *h, uint64_t x)) { (void)i; (void)h; return x * 2u; }
FX_EXPORT(double, fx_fn_scale, (void *i, const baton_host *h, double x, double by)) { (void)i; (void)h; return x * by; }
FX_EXPORT(uint8_t, fx_fn_not, (void *i, const baton_host *h, uint8_t b)) { (void)i; (void)h; return b ? 0 : 1; }
FX_EXPORT(uint32_t, fx_fn_length, (void *i, const baton_host *h, const char *s)) { (void)i; (void)h; return (uint32_t)strlen(s); }
FX_EXPORT(baton_status, fx_fn_reverse, (void *i, const baton_host *h, const uint8_t *data, size_t len, const baton_writer *out)) {
    (void)i; (void)h;
    for (size_t k = len; k > 0; k--) out->write(out->ctx, data + k - 1, 1);
    return BATON_OK;
}
FX_EXPORT(baton_status, fx_fn_greet, (void *i, const baton_host *h, const char *name, const baton_writer *out)) {
    (void)i; (void)h;
    char text[256];
    int n = snprintf(text, sizeof text, "hello, %s", name);
    out->write(out->ctx, (const uint8_t *)text, (size_t)(n < (int)sizeof text ? n : (int)sizeof text - 1));
    return BATON_OK;
}
/* Every kind of parameter at once, in an order that mixes register classes,
 * echoed back: proves the host lays out each C argument where it belongs. */
FX_EXPORT(baton_status, fx_fn_mixed, (void *i, const baton_host *h, int32_t a, const uint8_t *data, size_t len,
                                      const char *s, uint8_t flag, double x, uint64_t big, const baton_writer *out)) {
    (void)i; (void)h;
    char text[512];
    int n = snprintf(text, sizeof text, "a=%d len=%zu first=%d s=%s flag=%d x=%.3f big=%llu", a, len,
                     len ? data[0] : -1, s, flag, x, (unsigned long long)big);
    out->write(out->ctx, (const uint8_t *)text, (size_t)n);
    return BATON_OK;
}
FX_EXPORT(int64_t, fx_fn_sum16, (void *i, const baton_host *h, int32_t a, int32_t b, int32_t c, int32_t d, int32_t e,
                                 int32_t f, int32_t g, int32_t hh, int32_t k, int32_t l, int32_t m, int32_t n, int32_t o,
                                 int32_t p, int32_t q, int32_t r)) {
    (void)i; (void)h;
    return (int64_t)a + b + c + d + e + f + g + hh + k + l + m + n + o + p + q + r * 1000;
}
/* Reads committed state through the host: BATON_NOT_FOUND when absent. */
FX_EXPORT(baton_status, fx_fn_stored, (void *i, const baton_host *h, const char *key, const baton_writer *out)) {
    (void)i;
    return h->kv_get(h, bytes_of(key, strlen(key)), out);
}
/* What the host answers a write during a function: BATON_ERR_READ_ONLY. */
FX_EXPORT(int32_t, fx_fn_write_attempt, (void *i, const baton_host *h)) {
    (void)i;
    return h->kv_put(h, bytes_of("x", 1), bytes_of("y", 1));
}
FX_EXPORT(baton_status, fx_fn_refuse, (void *i, const baton_host *h, int32_t x, const baton_writer *out)) {
    (void)i; (void)h;
    if (x % 2 != 0) { say(out, "x must be even"); return BATON_REJECT; }
    say(out, "even");
    return BATON_OK;
}
FX_EXPORT(baton_status, fx_fn_fail, (void *i, const baton_host *h, const baton_writer *out)) {
    (void)i; (void)h;
    say(out, "it failed on purpose");
    return BATON_ERROR;
}
FX_EXPORT(baton_status, fx_fn_bad_utf8, (void *i, const baton_host *h, const baton_writer *out)) {
    (void)i; (void)h;
    const uint8_t bad[2] = {0xFF, 0xFE};
    out->write(out->ctx, bad, 2);
    return BATON_OK;
}
FX_EXPORT(baton_status, fx_fn_huge, (void *i, const baton_host *h, const baton_writer *out)) {
    (void)i; (void)h;
    return huge(out);
}

#define FX_FN(var, name, symbol, signature) \
    static const baton_function var = {sizeof(baton_function), 0, name, symbol, signature, "fixture function " name};
FX_FN(FN_ADD, "add", "fx_fn_add", "(a: i32, b: i32) -> i32")
FX_FN(FN_NEGATE, "negate", "fx_fn_negate", "(x: i64) -> i64")
FX_FN(FN_MAX, "max_u32", "fx_fn_max_u32", "(a: u32, b: u32) -> u32")
FX_FN(FN_TWICE, "twice", "fx_fn_twice", "(x: u64) -> u64")
FX_FN(FN_SCALE, "scale", "fx_fn_scale", "(x: f64, by: f64) -> f64")
FX_FN(FN_NOT, "not", "fx_fn_not", "(b: bool) -> bool")
FX_FN(FN_LENGTH, "length", "fx_fn_length", "(s: str) -> u32")
FX_FN(FN_REVERSE, "reverse", "fx_fn_reverse", "(data: bytes) -> bytes")
FX_FN(FN_GREET, "greet", "fx_fn_greet", "(name: str) -> str")
FX_FN(FN_MIXED, "mixed", "fx_fn_mixed", "(a: i32, data: bytes, s: str, flag: bool, x: f64, big: u64) -> str")
FX_FN(FN_SUM16, "sum16", "fx_fn_sum16",
      "(a: i32, b: i32, c: i32, d: i32, e: i32, f: i32, g: i32, h: i32, k: i32, l: i32, m: i32, n: i32, o: i32, p: i32, q: i32, r: i32) -> i64")
FX_FN(FN_STORED, "stored", "fx_fn_stored", "(key: str) -> bytes")
FX_FN(FN_WRITE, "write_attempt", "fx_fn_write_attempt", "() -> i32")
FX_FN(FN_REFUSE, "refuse", "fx_fn_refuse", "(x: i32) -> str")
FX_FN(FN_FAIL, "fail", "fx_fn_fail", "() -> bytes")
FX_FN(FN_BAD_UTF8, "bad_utf8", "fx_fn_bad_utf8", "() -> str")
FX_FN(FN_HUGE, "huge", "fx_fn_huge", "() -> bytes")
#if FIXTURE_BAD_FUNCTION == 1
FX_FN(FN_BROKEN, "broken", "fx_fn_not_exported", "() -> i32")
#elif FIXTURE_BAD_FUNCTION == 2
FX_FN(FN_BROKEN, "broken", "fx_fn_add", "(a: int, b: i32) -> i32")
#elif FIXTURE_BAD_FUNCTION == 3
FX_FN(FN_BROKEN, "add", "fx_fn_add", "(a: i32, b: i32) -> i32")
#elif FIXTURE_BAD_FUNCTION == 5
static const baton_function FN_BROKEN = {16, 0, "broken", "fx_fn_add", "(a: i32, b: i32) -> i32", "too short"};
#endif

static const baton_function *const FX_FUNCTIONS[] = {
    &FN_ADD, &FN_NEGATE, &FN_MAX, &FN_TWICE, &FN_SCALE, &FN_NOT, &FN_LENGTH, &FN_REVERSE, &FN_GREET, &FN_MIXED,
    &FN_SUM16, &FN_STORED, &FN_WRITE, &FN_REFUSE, &FN_FAIL, &FN_BAD_UTF8, &FN_HUGE,
#if FIXTURE_BAD_FUNCTION == 4
    NULL,
#elif defined(FIXTURE_BAD_FUNCTION) && FIXTURE_BAD_FUNCTION != 6
    &FN_BROKEN,
#endif
};
#if FIXTURE_BAD_FUNCTION == 6
#define FX_FUNCTION_COUNT (BATON_FUNCTIONS_MAX + 1)
#else
#define FX_FUNCTION_COUNT (sizeof FX_FUNCTIONS / sizeof FX_FUNCTIONS[0])
#endif
#endif /* FIXTURE_FUNCTIONS */

#ifdef FIXTURE_MIGRATES
/* ABI 1.4: stores "from NAME VERSION" under "migrated" (mode "migrate-fails": refuses). */
static baton_status fx_migrate(void *instance, const char *from_name, const char *from_version, const baton_writer *error) {
    fixture *f = (fixture *)instance;
    if (is(f, "migrate-fails")) { say(error, "cannot migrate from this version"); return BATON_ERROR; }
    char text[300];
    size_t n = 0;
    for (const char *p = "from "; *p && n < sizeof text - 1; p++) text[n++] = *p;
    for (const char *p = from_name; *p && n < sizeof text - 1; p++) text[n++] = *p;
    if (n < sizeof text - 1) text[n++] = ' ';
    for (const char *p = from_version; *p && n < sizeof text - 1; p++) text[n++] = *p;
    return f->host->kv_put(f->host, bytes_of("migrated", 8), bytes_of(text, n));
}
#endif

#ifndef FIXTURE_MINOR
#define FIXTURE_MINOR BATON_PLUGIN_ABI_MINOR
#endif

static const baton_plugin FIXTURE = {
#ifdef FIXTURE_SHORT_TABLE
    (uint32_t)offsetof(baton_plugin, check_tx),
#else
    sizeof(baton_plugin),
#endif
    FIXTURE_ABI_MAJOR, FIXTURE_MINOR, 0,
    FIXTURE_NAME, "0.0.1", "test fixture", NULL,
    fx_create, fx_destroy, fx_check_tx, fx_produce, fx_validate, fx_commit,
#ifdef FIXTURE_NULL_QUERY
    NULL,
#else
    fx_query,
#endif
#if defined(FIXTURE_FUNCTIONS)
    NULL, FX_FUNCTIONS, FX_FUNCTION_COUNT,
#elif defined(FIXTURE_MIGRATES) || defined(FIXTURE_SECOND_INSTANCE) || defined(FIXTURE_RECOMPUTES)
    NULL, NULL, 0,
#endif
#ifdef FIXTURE_MIGRATES
    fx_migrate,
#elif defined(FIXTURE_SECOND_INSTANCE) || defined(FIXTURE_RECOMPUTES)
    NULL,
#endif
#ifdef FIXTURE_SECOND_INSTANCE
    BATON_PLUGIN_SECOND_INSTANCE,
#elif defined(FIXTURE_RECOMPUTES)
    0,
#endif
#ifdef FIXTURE_RECOMPUTES
    fx_state_hash_from_store, fx_retain_height,
#endif
};

#ifndef FIXTURE_NO_ENTRY
BATON_PLUGIN_EXPORT const baton_plugin *baton_plugin_entry(void);
BATON_PLUGIN_EXPORT const baton_plugin *baton_plugin_entry(void) {
#ifdef FIXTURE_NULL_ENTRY
    return NULL;
#else
    return &FIXTURE;
#endif
}
#else
/* Exports something, so the file is a real shared object without the entry. */
BATON_PLUGIN_EXPORT int not_a_baton_plugin(void);
BATON_PLUGIN_EXPORT int not_a_baton_plugin(void) { return 1; }
#endif
