/*
 * An OLD host, for the compatibility matrix: it drives a plugin through
 * create, check_tx, produce_block, validate_block, commit_block, query and
 * destroy exactly as a host of ABI 1.0 or 1.1 would — its host table is the
 * 1.0 size and its block contexts are the 1.0 or 1.1 size — so a plugin built
 * against a newer header is caught reading what an old host never wrote.
 *
 * Every struct it hands over ends exactly at the end of a page whose next
 * page is PROT_NONE: a read one byte past it is a SIGSEGV, whether or not the
 * plugin was compiled with AddressSanitizer (a Swift plugin is not). Built
 * with -fsanitize=address, it also catches the C plugin's own heap errors.
 *
 *     old_host PLUGIN.so 1.0|1.1 TX
 *
 * Prints one line per call and "ok" at the end; exits 1 on a refused call.
 */
#define _DEFAULT_SOURCE
#include "baton_plugin.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* `size` bytes that end where an unreadable page begins. */
static void *fenced(size_t size) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    uint8_t *two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (two == MAP_FAILED) { perror("mmap"); exit(2); }
    if (mprotect(two + page, page, PROT_NONE) != 0) { perror("mprotect"); exit(2); }
    return two + page - size;
}

/* ---- a tiny app store: enough for the shipped plugins ---- */
#define SLOTS 64
static struct { uint8_t key[256]; size_t klen; uint8_t value[4096]; size_t vlen; int used; } store[SLOTS];
static int committing = 0;

static int find(baton_bytes key) {
    for (int i = 0; i < SLOTS; i++)
        if (store[i].used && store[i].klen == key.len && memcmp(store[i].key, key.ptr, key.len) == 0) return i;
    return -1;
}

static void host_log(const baton_host *h, int32_t level, const char *m, size_t n) {
    (void)h;
    printf("log %d %.*s\n", level, (int)n, m ? m : "");
}
static baton_status host_get(const baton_host *h, baton_bytes key, const baton_writer *value) {
    (void)h;
    int i = find(key);
    if (i < 0) return BATON_NOT_FOUND;
    return value ? value->write(value->ctx, store[i].value, store[i].vlen) : BATON_OK;
}
static baton_status host_put(const baton_host *h, baton_bytes key, baton_bytes value) {
    (void)h;
    if (!committing) return BATON_ERR_READ_ONLY;
    if (key.len > 256 || value.len > 4096) return BATON_ERR_TOO_LARGE;
    int i = find(key);
    for (int k = 0; i < 0 && k < SLOTS; k++) if (!store[k].used) i = k;
    if (i < 0) return BATON_ERR_STORAGE;
    store[i].used = 1;
    memcpy(store[i].key, key.ptr, key.len);
    store[i].klen = key.len;
    if (value.len) memcpy(store[i].value, value.ptr, value.len);
    store[i].vlen = value.len;
    return BATON_OK;
}
static baton_status host_delete(const baton_host *h, baton_bytes key) {
    (void)h;
    if (!committing) return BATON_ERR_READ_ONLY;
    int i = find(key);
    if (i >= 0) store[i].used = 0;
    return BATON_OK;
}
static baton_status host_iterate(const baton_host *h, baton_bytes prefix, baton_kv_visitor visit, void *ctx) {
    (void)h;
    for (int i = 0; i < SLOTS && visit; i++) {
        if (!store[i].used || store[i].klen < prefix.len || (prefix.len && memcmp(store[i].key, prefix.ptr, prefix.len) != 0)) continue;
        baton_bytes k = {store[i].key, store[i].klen}, v = {store[i].value, store[i].vlen};
        if (visit(ctx, k, v) != 0) break;
    }
    return BATON_OK;
}
static baton_status host_complete(const baton_host *h, uint64_t t, baton_status s, baton_bytes d) {
    (void)h; (void)t; (void)s; (void)d;
    return BATON_ERR_INVALID_ARGUMENT;
}
/* Not SHA-256 (this host needs no crypto): a deterministic digest is enough. */
static void host_sha256(const baton_host *h, baton_bytes data, uint8_t digest[32]) {
    (void)h;
    uint64_t x = 1469598103934665603ull;
    for (size_t i = 0; i < data.len; i++) x = (x ^ data.ptr[i]) * 1099511628211ull;
    for (int i = 0; i < 32; i++) { digest[i] = (uint8_t)(x >> (8 * (i % 8))); if (i % 8 == 7) x = x * 31 + 7; }
}

/* ---- output ---- */
typedef struct { uint8_t data[1 << 16]; size_t len; } buffer;
static baton_status buffer_write(void *ctx, const uint8_t *data, size_t len) {
    buffer *b = ctx;
    if (len > sizeof b->data - b->len) return BATON_ERR_TOO_LARGE;
    if (len) memcpy(b->data + b->len, data, len);
    b->len += len;
    return BATON_OK;
}
static baton_writer *writer_for(buffer *b) {
    baton_writer *w = fenced(sizeof(baton_writer));
    w->struct_size = sizeof(baton_writer);
    w->reserved = 0;
    w->ctx = b;
    w->write = buffer_write;
    return w;
}

static int check(const char *call, baton_status status, buffer *message) {
    printf("%s %d %.*s\n", call, status, (int)(message ? message->len : 0), message ? (const char *)message->data : "");
    return status == BATON_OK;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: old_host PLUGIN.so 1.0|1.1 TX\n"); return 2; }
    setvbuf(stdout, NULL, _IOLBF, 0); /* each line out before a plugin can crash */
    size_t context_size = strcmp(argv[2], "1.0") == 0 ? BATON_BLOCK_CONTEXT_SIZE_1_0 : sizeof(baton_block_context);
    void *handle = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!handle) { fprintf(stderr, "dlopen: %s\n", dlerror()); return 2; }
    baton_plugin_entry_fn entry = (baton_plugin_entry_fn)(uintptr_t)dlsym(handle, BATON_PLUGIN_ENTRY_SYMBOL);
    const baton_plugin *plugin = entry ? entry() : NULL;
    if (!plugin) { fprintf(stderr, "no descriptor\n"); return 2; }
    /* An old host reads only the 1.0 table, whatever size the plugin says. */
    printf("plugin %s abi %u.%u size %u\n", plugin->name, plugin->abi_major, plugin->abi_minor, plugin->struct_size);

    baton_host *host = fenced(BATON_HOST_SIZE_1_0);
    host->struct_size = BATON_HOST_SIZE_1_0;
    host->abi_major = 1;
    host->abi_minor = context_size == BATON_BLOCK_CONTEXT_SIZE_1_0 ? 0 : 1;
    host->reserved = 0;
    host->host_data = NULL;
    host->log = host_log;
    host->kv_get = host_get;
    host->kv_put = host_put;
    host->kv_delete = host_delete;
    host->kv_iterate = host_iterate;
    host->complete = host_complete;
    host->sha256 = host_sha256;

    static buffer out, error;
    void *instance = NULL;
    baton_bytes none = {NULL, 0};
    if (!check("create", plugin->create(plugin, host, none, writer_for(&error), &instance), &error)) return 1;

    baton_bytes tx = {(const uint8_t *)argv[3], strlen(argv[3])};
    error.len = 0;
    if (!check("check_tx", plugin->check_tx(instance, tx, writer_for(&error)), &error)) return 1;

    baton_block_context *context = fenced(context_size);
    memset(context, 0, context_size);
    context->struct_size = (uint32_t)context_size;
    context->height = 1;
    context->view = 1;
    context->timestamp_ms = 1700000000000ull;
    memset(context->parent_id, 7, sizeof context->parent_id);
    static const uint8_t proposer[33] = {2};
    context->proposer.ptr = proposer;
    context->proposer.len = sizeof proposer;

    baton_bytes *candidates = fenced(sizeof(baton_bytes));
    candidates[0] = tx;
    uint8_t *included = fenced(1);
    included[0] = 0;
    out.len = 0;
    error.len = 0;
    if (!check("produce_block", plugin->produce_block(instance, context, candidates, 1, included, 1, writer_for(&out),
                                                      writer_for(&error)), &error)) return 1;
    baton_bytes payload = {out.data, out.len};
    printf("payload %zu bytes, included %d\n", out.len, included[0]);

    memset(context->block_id, 9, sizeof context->block_id);
    error.len = 0;
    if (!check("validate_block", plugin->validate_block(instance, context, payload, 2, writer_for(&error)), &error)) return 1;

    uint8_t *hash = fenced(32);
    committing = 1;
    error.len = 0;
    int committed = check("commit_block", plugin->commit_block(instance, context, payload, hash, writer_for(&error)), &error);
    committing = 0;
    if (!committed) return 1;

    buffer *answer = &out;
    answer->len = 0;
    error.len = 0;
    if (!check("query", plugin->query(instance, none, writer_for(answer), writer_for(&error)), &error)) return 1;
    printf("answer %.*s\n", (int)answer->len, (const char *)answer->data);

    plugin->destroy(instance);
    printf("ok\n");
    return 0;
}
