/*
 * baton_plugin.h — the Baton plugin ABI, version 1 (minor 7).
 *
 * A Baton application (the replicated state machine) is a shared object that
 * exports ONE symbol, `baton_plugin_entry`, a function returning a pointer to a
 * constant `baton_plugin` descriptor: its metadata and its function table. The
 * host hands every instance a `baton_host` table of callbacks (logging, the
 * app's own key-value store, completing a pending answer, SHA-256, and
 * changing the committee: `update_committee`, 1.5).
 *
 * This header is all a third party needs. It is C99, has no dependencies
 * beyond <stddef.h> and <stdint.h>, and builds a plugin with one line:
 *
 *     cc -std=c99 -shared -fPIC -I PluginAPI/include my_app.c -o libmy_app.so
 *
 * Rules that keep the ABI stable
 * ------------------------------
 * - Every struct that crosses the boundary begins with `struct_size` (its
 *   sizeof as the writer of the struct compiled it). Structs grow only by
 *   appending fields; fields are never removed, reordered or retyped.
 *   Exception: `baton_bytes` is a frozen (pointer, length) pair, like a C
 *   array argument; it will never grow.
 * - Compatibility, both ways: a reader requires only the size the OLDEST
 *   minor gave a struct (the BATON_*_SIZE_1_0 constants below), never its own
 *   sizeof, and reads an appended field only when `struct_size` covers it
 *   (BATON_HAS_FIELD). A field that is not there means the feature is not
 *   there: the reader degrades that feature alone (no finality proof, no
 *   block_transactions, no functions) and everything else works. A reader
 *   never copies a whole struct it did not allocate (`*context`), since the
 *   writer's may be shorter than the reader's. A plugin that declares a minor
 *   must fill at least that minor's size (the host refuses it otherwise,
 *   naming both numbers).
 * - `abi_major` changes only when an old plugin could no longer work; the host
 *   refuses a plugin whose major it does not speak and names both versions.
 *   `abi_minor` grows with every appended field or call.
 * - No struct has padding (field order is chosen for that and checked by
 *   static assertions in PluginAPI/src/baton_plugin_layout.c).
 * - Neither side ever frees the other's memory. Bytes go in as borrowed
 *   `baton_bytes`; bytes come out through a `baton_writer` that copies them
 *   into memory the receiver owns. That is why there is no `free` call.
 *
 * Threading contract
 * ------------------
 * [instance] The host calls an instance from one thread at a time (never two
 *            calls on one instance concurrently), though not always from the
 *            same thread. Different instances may be called concurrently.
 * [in-call]  May be called only by the plugin, on the thread of a call the
 *            host is making into this instance, before that call returns.
 * [any]      May be called from any thread, at any time while the instance
 *            exists (until `destroy` returns).
 */
#ifndef BATON_PLUGIN_H
#define BATON_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__clang__)
/* Nullability annotations are a Clang extension: silence -pedantic about them
 * for this header only, so plugins build with -std=c99 -pedantic -Werror. */
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wnullability-extension"
#define BATON_NULLABLE _Nullable
#define BATON_NONNULL _Nonnull
#pragma clang assume_nonnull begin
#else
#define BATON_NULLABLE
#define BATON_NONNULL
#endif

#if defined(_WIN32)
#define BATON_PLUGIN_EXPORT __declspec(dllexport)
#else
#define BATON_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* ---- Versions and names ------------------------------------------------ */

#define BATON_PLUGIN_ABI_MAJOR 1
#define BATON_PLUGIN_ABI_MINOR 7

/* The one symbol a plugin exports. Its name is the same in every ABI major,
 * so a host can always read the versions and explain a mismatch. */
#define BATON_PLUGIN_ENTRY_SYMBOL "baton_plugin_entry"

/* The smallest struct_size each reader accepts: the sizes ABI 1.0 gave
 * (LP64). Later minors only append, so these never change. */
#define BATON_HOST_SIZE_1_0 80
#define BATON_BLOCK_CONTEXT_SIZE_1_0 128
#define BATON_PLUGIN_SIZE_1_0 104
/* What each minor added, by the size that holds it:
 *   1.1  baton_block_context.finality_proof   (context size 144)
 *   1.2  baton_plugin.block_transactions      (plugin size 112)
 *   1.3  baton_plugin.functions, function_count (plugin size 128)
 *   1.4  baton_plugin.migrate_state              (plugin size 136)
 *   1.5  baton_host.update_committee             (host size 88)
 *   1.6  baton_plugin.flags                      (plugin size 144)
 *   1.7  baton_plugin.state_hash_from_store, retain_height (plugin size 160) */
#define BATON_PLUGIN_SIZE_1_2 112
#define BATON_PLUGIN_SIZE_1_3 128
#define BATON_PLUGIN_SIZE_1_4 136
#define BATON_HOST_SIZE_1_5 88
#define BATON_PLUGIN_SIZE_1_6 144
#define BATON_PLUGIN_SIZE_1_7 160

/* Bits of baton_plugin.flags (ABI 1.6); every other bit must be 0.
 *
 * BATON_PLUGIN_SECOND_INSTANCE: the host may create a second instance of the
 * plugin (same config, same host store, read-only: kv_put/kv_delete refuse)
 * and call check_tx, query and the typed functions on it, on another thread,
 * while the first instance serves produce/validate/commit. Say so only if
 * those calls read what they need from the host store (committed state), not
 * from memory only the first instance updates in commit_block. Without it the
 * host serializes those calls with the consensus calls on the one instance:
 * still off the consensus loop, but a slow check_tx then delays a vote. */
#define BATON_PLUGIN_SECOND_INSTANCE 1u

/* Whether a struct written by the other side holds `field`: read an appended
 * field only if this is true. `p` points at the struct, `type` is its type. */
#define BATON_HAS_FIELD(p, type, field) \
    ((p)->struct_size >= offsetof(type, field) + sizeof(((type *)0)->field))

#define BATON_STATE_HASH_BYTES 32
#define BATON_BLOCK_ID_BYTES 32
/* Longest name, version or description the host reads, in bytes. */
#define BATON_PLUGIN_TEXT_BYTES_MAX 1024

/* ---- Status codes ------------------------------------------------------ */

/* Every call returns one of these. Any other value from a plugin is a broken
 * contract: the host reports it as an error and never acts on it. */
typedef int32_t baton_status;
#define BATON_OK 0                   /* done; accepted; valid */
#define BATON_REJECT 1               /* check_tx / validate_block: no, reason written */
#define BATON_PENDING 2              /* produce/validate: answer comes later via complete */
#define BATON_NOT_FOUND 3            /* kv_get: no such key */
#define BATON_ERROR (-1)             /* the plugin failed; message written */
#define BATON_ERR_TOO_LARGE (-2)     /* writer: output would exceed its limit; nothing appended */
#define BATON_ERR_READ_ONLY (-3)     /* kv_put/kv_delete outside commit_block */
#define BATON_ERR_INVALID_ARGUMENT (-4) /* e.g. unknown or already-used token */
#define BATON_ERR_STORAGE (-5)       /* the host's store failed; the call should fail */

/* Log levels for baton_host.log. */
#define BATON_LOG_TRACE 0
#define BATON_LOG_DEBUG 1
#define BATON_LOG_INFO 2
#define BATON_LOG_WARNING 3
#define BATON_LOG_ERROR 4

/* Bounds of the function table (ABI 1.3). */
#define BATON_FUNCTIONS_MAX 256
#define BATON_FUNCTION_PARAMETERS_MAX 16

/* ---- Buffers ------------------------------------------------------------ */

/* Borrowed bytes. The receiver may read `len` bytes at `ptr` until the call
 * that handed them over returns, and must copy what it keeps. `ptr` may be
 * NULL only when `len` is 0. Frozen: never grows. */
typedef struct baton_bytes {
    const uint8_t *BATON_NULLABLE ptr;
    size_t len;
} baton_bytes;

/* An output channel owned by the receiver of the bytes. `write` appends a copy
 * of `len` bytes (the writer owns the copy; the caller keeps its buffer) and
 * returns BATON_OK, or BATON_ERR_TOO_LARGE if the output would pass its limit,
 * in which case nothing is appended and the caller should give up and fail.
 * A writer is valid only during the call it was passed to. [in-call] */
typedef struct baton_writer {
    uint32_t struct_size;
    uint32_t reserved; /* 0 */
    void *BATON_NULLABLE ctx;
    baton_status (*write)(void *BATON_NULLABLE ctx, const uint8_t *BATON_NULLABLE data, size_t len);
} baton_writer;

/* ---- The host's table --------------------------------------------------- */

/* Visitor for kv_iterate: key and value are borrowed for this call only.
 * Return 0 to continue, anything else to stop. Must not call kv_put,
 * kv_delete or kv_iterate. */
typedef int32_t (*baton_kv_visitor)(void *BATON_NULLABLE ctx, baton_bytes key, baton_bytes value);

/* Owned by the host; valid from create until destroy returns. Every function
 * takes the table itself first, so the host finds its own state through
 * `host_data`. All function pointers in this table are non-NULL. Pointers the
 * plugin passes in are checked by the host (a NULL where bytes are needed
 * gets BATON_ERR_INVALID_ARGUMENT), never trusted. */
typedef struct baton_host {
    uint32_t struct_size;
    uint32_t abi_major;
    uint32_t abi_minor;
    uint32_t reserved; /* 0 */
    void *BATON_NULLABLE host_data; /* the host's; the plugin must not touch it */

    /* Structured log line, UTF-8, copied by the host (at most 4 KiB kept). [any] */
    void (*log)(const struct baton_host *host, int32_t level,
                const char *BATON_NULLABLE message, size_t message_len);

    /* The app's own key-value store, isolated from every other plugin and from
     * consensus. Reads see committed state plus this commit's own writes.
     * kv_put/kv_delete are accepted only during commit_block (they land with
     * the block, atomically) and answer BATON_ERR_READ_ONLY elsewhere, so
     * check_tx/produce/validate/query cannot change replicated state. Keys are
     * at most 4 KiB and values 16 MiB (else BATON_ERR_TOO_LARGE). kv_get
     * answers BATON_OK with the value written, or BATON_NOT_FOUND; with a
     * NULL `value` writer it only says whether the key exists. kv_iterate
     * sees the same as kv_get: inside commit_block, this commit's own writes
     * too. [in-call] */
    baton_status (*kv_get)(const struct baton_host *host, baton_bytes key,
                           const baton_writer *BATON_NULLABLE value);
    baton_status (*kv_put)(const struct baton_host *host, baton_bytes key, baton_bytes value);
    baton_status (*kv_delete)(const struct baton_host *host, baton_bytes key);
    /* Visits every key starting with `prefix` in ascending bytewise order. */
    baton_status (*kv_iterate)(const struct baton_host *host, baton_bytes prefix,
                               baton_kv_visitor BATON_NULLABLE visit, void *BATON_NULLABLE visit_ctx);

    /* Completes a call that returned BATON_PENDING, exactly once per token.
     *   validate_block: status BATON_OK (valid), BATON_REJECT (data = reason)
     *                   or BATON_ERROR (data = message).
     *   produce_block:  status BATON_OK (data = payload) or BATON_ERROR.
     * `data` is copied before this returns. May be called before the pending
     * call has returned. Returns BATON_ERR_INVALID_ARGUMENT for an unknown,
     * used or expired token, or a status the call cannot answer (the host
     * logs it, naming the plugin and call; the token stays open), and
     * BATON_ERR_TOO_LARGE if data passes the call's limit. A pending answer
     * not completed within the node's pending_deadline_ms (default 10 s)
     * counts as BATON_ERROR and its token expires. A completion for a view
     * that has ended is accepted and ignored (no vote, no proposal). [any] */
    baton_status (*complete)(const struct baton_host *host, uint64_t token,
                             baton_status status, baton_bytes data);

    /* SHA-256 of `data` into `digest`, so a plugin needs no crypto library to
     * produce its state hash. [any] */
    void (*sha256)(const struct baton_host *host, baton_bytes data,
                   uint8_t digest[BATON_NULLABLE BATON_STATE_HASH_BYTES]);

    /* ABI 1.5. In commit_block only: a change to the committee, as ABCI's
     * validator updates. A key not in the committee is added with `weight`
     * and its consensus `address` ("host:port", where the others dial it);
     * a member's weight becomes `weight` (its address too, if one is given);
     * weight 0 removes it. The changes of one block take effect together
     * after that block, which is the last of its epoch (README, "Committee
     * changes"); changes that would leave an invalid committee (no weight,
     * more than 64 members, an added key without an address) change nothing,
     * and the host logs why. The same block must give the same changes on
     * every node: they are part of the replicated state. Returns
     * BATON_ERR_READ_ONLY outside commit_block, BATON_ERR_INVALID_ARGUMENT
     * for a key that is not 33 bytes (compressed secp256k1) or an address
     * that is not host:port, BATON_ERR_TOO_LARGE after 64 changes in one
     * block. Read it only when BATON_HAS_FIELD(host, baton_host,
     * update_committee): a 1.4 host does not have it. [in-call] */
    baton_status (*update_committee)(const struct baton_host *host, baton_bytes public_key, uint64_t weight,
                                     baton_bytes address);
} baton_host;

/* ---- Block context ------------------------------------------------------ */

/* Where a block sits in the chain; owned by the host, borrowed for the call. */
typedef struct baton_block_context {
    uint32_t struct_size;
    uint32_t reserved; /* 0 */
    uint64_t height;       /* parent's height + 1; the first block after genesis is 1 */
    uint64_t view;         /* consensus view the block was proposed in */
    uint64_t timestamp_ms; /* proposer's clock, milliseconds since the Unix epoch */
    uint8_t block_id[BATON_BLOCK_ID_BYTES]; /* all zero in produce_block: not known yet */
    uint8_t parent_id[BATON_BLOCK_ID_BYTES];
    baton_bytes proposer;  /* the proposer's public key (33-byte compressed secp256k1) */
    /* Payloads of the ancestors that are not finalized yet, oldest first, the
     * last one being the parent's (0 entries in commit_block: by then every
     * ancestor is committed). Consensus pipelines blocks, so produce/validate
     * run before the parent is committed: apply these, in memory, on top of
     * the committed state to judge the block against the state it will meet. */
    const baton_bytes *BATON_NULLABLE pending_payloads;
    size_t pending_count;
    /* ABI 1.1. In commit_block: the host's proof that this block is final,
     * so an app can hand out certificates that anyone holding the committee's
     * public keys checks offline (the checkpointing interpreter does). Empty
     * in the other calls. Format: a FinalityProof, version 1 (README,
     * "Finality proofs"): the chain id, the headers from this block up to the
     * certified child that finalizes it under the 2-chain rule, and that
     * child's quorum certificate. Read it only when
     * BATON_HAS_FIELD(context, baton_block_context, finality_proof): a 1.0
     * host does not write it. */
    baton_bytes finality_proof;
} baton_block_context;

/* ---- Typed functions (ABI 1.3) ------------------------------------------ */

/* A read-only function of the application's state that users call by name
 * with typed arguments (`baton call`, POST /v1/apps/call/{name}), without a
 * wrapper per function: an ordinary exported C function with its own
 * signature, which the host calls through libffi. Think CosmWasm's query
 * entry points with ctypes' calling.
 *
 * The signature language (`signature` below), e.g. "(x: i32, y: i32) -> i32":
 *
 *     signature := "(" [ param { "," param } ] ")" "->" result
 *     param     := name ":" type          name: 1-32 of a-z, 0-9, '_'
 *
 *   type   C parameter(s), in this order
 *   i32    int32_t          i64   int64_t        u32   uint32_t
 *   u64    uint64_t         f64   double         bool  uint8_t (0 or 1)
 *   str    const char *: UTF-8, NUL-terminated, no NUL inside (the host checks)
 *   bytes  const uint8_t *BATON_NULLABLE ptr, size_t len: TWO C parameters
 *
 *   result  the C function
 *   i32 i64 u32 u64 f64 bool   returns that type (bool: uint8_t, 0 or 1)
 *   bytes, str                 returns baton_status and takes one last
 *                              parameter `const baton_writer *out`:
 *       BATON_OK         the result is what was written (str: UTF-8)
 *       BATON_NOT_FOUND  no result (JSON null); nothing written
 *       BATON_REJECT     the arguments are wrong for this state: the message
 *                        written is shown to the caller (HTTP 400)
 *       BATON_ERROR      the function failed: message written (HTTP 500)
 *
 * Every function takes first `void *instance` (from create) and then
 * `const baton_host *host` (the instance's table; during the call it is
 * read-only: kv_get and kv_iterate see committed state, kv_put and
 * kv_delete answer BATON_ERR_READ_ONLY), then its parameters. So
 * "(x: i32, y: i32) -> i32" is
 *
 *     int32_t my_distance(void *instance, const baton_host *host, int32_t x, int32_t y);
 *
 * and "(key: str) -> bytes" is
 *
 *     baton_status my_get(void *instance, const baton_host *host, const char *key,
 *                         const baton_writer *out);
 *
 * At most BATON_FUNCTION_PARAMETERS_MAX parameters, names unique. The host
 * checks every declaration at load (the symbol exists, the signature parses,
 * names are unique) and refuses the plugin naming the function and the
 * problem. Calls follow [instance]: never concurrent with another call on
 * the same instance. A function must not change anything replicated. */
typedef struct baton_function {
    uint32_t struct_size;
    uint32_t reserved; /* 0 */
    /* NUL-terminated UTF-8, at most BATON_PLUGIN_TEXT_BYTES_MAX bytes. */
    const char *BATON_NULLABLE name;        /* 1-64 of a-z, 0-9, '_', '-'; unique in the plugin */
    const char *BATON_NULLABLE symbol;      /* the exported C symbol the host resolves with dlsym */
    const char *BATON_NULLABLE signature;   /* e.g. "(x: i32, y: i32) -> i32" */
    const char *BATON_NULLABLE description; /* one line */
} baton_function;

/* ---- The plugin's descriptor -------------------------------------------- */

/* Returned by baton_plugin_entry; must stay valid and unchanged for as long as
 * the shared object is loaded. The host copies what it needs. Function
 * pointers are NULL-checked by the host: the seven of 1.0 are required;
 * `block_transactions` (1.2), `functions` (1.3), `migrate_state` (1.4),
 * `state_hash_from_store` and `retain_height` (1.7) are optional. */
typedef struct baton_plugin {
    uint32_t struct_size;
    uint32_t abi_major; /* BATON_PLUGIN_ABI_MAJOR the plugin was built with */
    uint32_t abi_minor;
    uint32_t reserved;  /* 0 */
    /* NUL-terminated UTF-8, at most BATON_PLUGIN_TEXT_BYTES_MAX bytes. */
    const char *BATON_NULLABLE name;        /* e.g. "robot": 1-64 of a-z, 0-9, '-', '_' */
    const char *BATON_NULLABLE version;     /* e.g. "1.2.0" */
    const char *BATON_NULLABLE description; /* one line */
    void *BATON_NULLABLE plugin_data;       /* the plugin's own; passed back to create */

    /* Makes an instance from config bytes (format is the plugin's own; empty
     * means defaults). On BATON_OK stores the instance in *out_instance; on
     * BATON_ERROR writes why to `error`. `host` outlives the instance.
     * [instance] */
    baton_status (*BATON_NULLABLE create)(const struct baton_plugin *plugin, const baton_host *host,
                                          baton_bytes config, const baton_writer *error,
                                          void *BATON_NULLABLE *BATON_NONNULL out_instance);

    /* Releases an instance. Pending tokens die with it. [instance] */
    void (*BATON_NULLABLE destroy)(void *instance);

    /* Mempool admission: BATON_OK (admit) or BATON_REJECT (reason written).
     * Judged against committed state; cheap; no side effects. [instance] */
    baton_status (*BATON_NULLABLE check_tx)(void *instance, baton_bytes tx, const baton_writer *reason);

    /* Payload for a block this node proposes. `candidates` are mempool
     * transactions in arrival order; the plugin sets included[i] = 1 for each
     * one its payload carries (the host zeroes `included` first; it has
     * candidate_count entries). Returns BATON_OK with the payload written,
     * BATON_PENDING (then complete(token) with the payload; a pending answer
     * includes no candidates), or BATON_ERROR. [instance] */
    baton_status (*BATON_NULLABLE produce_block)(void *instance, const baton_block_context *context,
                                                 const baton_bytes *BATON_NULLABLE candidates,
                                                 size_t candidate_count, uint8_t *BATON_NULLABLE included,
                                                 uint64_t token, const baton_writer *payload,
                                                 const baton_writer *error);

    /* Judges a proposed payload against the state its parent leads to.
     * BATON_OK (valid), BATON_REJECT (reason written), BATON_PENDING (then
     * complete(token)), or BATON_ERROR. Must be deterministic given the chain:
     * honest nodes that see the same data must agree. [instance] */
    baton_status (*BATON_NULLABLE validate_block)(void *instance, const baton_block_context *context,
                                                  baton_bytes payload, uint64_t token,
                                                  const baton_writer *reason);

    /* Applies a finalized block: the only call in which kv_put/kv_delete are
     * accepted. Writes the hash of the complete app state after it to
     * state_hash. Deterministic: every honest node must produce the same hash.
     * BATON_ERROR means the app cannot follow the chain; the node stops.
     * [instance] */
    baton_status (*BATON_NULLABLE commit_block)(void *instance, const baton_block_context *context,
                                                baton_bytes payload,
                                                uint8_t state_hash[BATON_NONNULL BATON_STATE_HASH_BYTES],
                                                const baton_writer *error);

    /* Read-only request → response (format is the plugin's own). BATON_OK
     * with the response written, or BATON_ERROR. [instance] */
    baton_status (*BATON_NULLABLE query)(void *instance, baton_bytes request,
                                         const baton_writer *response, const baton_writer *error);

    /* ABI 1.2, optional. The mempool transactions `payload` carries, exactly
     * as they were submitted: for each, its length as a u32 little-endian,
     * then its bytes, written to `transactions` (at most 64 MiB in all). The
     * host hashes them itself — it never trusts a list a proposer wrote —
     * to drop them from mempools, refuse them as already committed, and
     * check a proposal's list before voting. An empty payload (an idle
     * block) carries none. Deterministic, no side effects, read-only store.
     * BATON_OK, BATON_NOT_FOUND (cannot tell: as if NULL) or BATON_ERROR
     * (message to `error`). NULL, or a plugin built against 1.0/1.1 (whose
     * struct_size ends before it): the host falls back to acting only on
     * listed transactions it holds whose bytes the payload contains verbatim
     * (docs/plugins.md, "Transactions in blocks"). [instance] */
    baton_status (*BATON_NULLABLE block_transactions)(void *instance, baton_bytes payload,
                                                      const baton_writer *transactions, const baton_writer *error);

    /* ABI 1.3, optional: the typed functions the plugin exports (see "Typed
     * functions" above), `function_count` pointers to declarations that stay
     * valid while the object is loaded; at most BATON_FUNCTIONS_MAX. NULL and
     * 0 for none. An older host never reads them. */
    const baton_function *BATON_NULLABLE const *BATON_NULLABLE functions;
    size_t function_count;

    /* ABI 1.4, optional. A live upgrade's state migration: when the chain
     * switches to this plugin at a committed height (README, "Live
     * upgrades"), the host calls this once on the new instance, inside the
     * commit of the first block at that height and just before its
     * commit_block; kv_put/kv_delete are accepted, and what it writes lands
     * atomically with that block (a crash loses both or neither).
     * `from_name`/`from_version` (NUL-terminated) name the application it
     * replaces. Deterministic, like commit_block. BATON_OK, or BATON_ERROR
     * with a message: the node then stops, as for a failed commit. NULL:
     * nothing to migrate (the new plugin reads the old state as it is).
     * [instance] */
    baton_status (*BATON_NULLABLE migrate_state)(void *instance, const char *from_name, const char *from_version,
                                                 const baton_writer *error);

    /* ABI 1.6: BATON_PLUGIN_* bits (above); 0 for none. An older host never
     * reads it; a table that ends before it means 0. */
    uint64_t flags;

    /* ABI 1.7, optional. The app state hash recomputed from the host store
     * alone (kv_get/kv_iterate), exactly as commit_block wrote it for the last
     * committed block. The host calls it once after restoring the app's keys
     * from a snapshot (state sync from peers, or `baton snapshot import`),
     * before the node votes or serves: the hash must equal the one the
     * chain certified at the snapshot's height, or the node refuses to run
     * the restored state. Read-only (kv_put/kv_delete refuse); may take as
     * long as reading the whole state. BATON_OK with state_hash written;
     * BATON_NOT_FOUND (cannot tell, e.g. a hash that chains history rather
     * than hashing the keys: as if NULL); BATON_ERROR (message to `error`).
     * NULL: the host trusts the restored keys on the snapshot's chunk hashes,
     * vouched for by members holding more than a third of the weight (at
     * least one honest), and says so in its log and /v1/status. [instance] */
    baton_status (*BATON_NULLABLE state_hash_from_store)(void *instance,
                                                         uint8_t state_hash[BATON_NONNULL BATON_STATE_HASH_BYTES],
                                                         const baton_writer *error);

    /* ABI 1.7, optional. The lowest height whose block the host must keep,
     * as ABCI's retain_height: a function of the committed state (e.g. the
     * oldest block an app-level proof may still cite), called after each
     * commit_block and once when the node starts. 0: no wish. The node keeps
     * at least its own window (`[storage] retain_blocks`) and its newest
     * snapshot's height whatever this answers: an app can ask for more
     * history, never less. Read-only, cheap, deterministic. NULL: 0.
     * [instance] */
    uint64_t (*BATON_NULLABLE retain_height)(void *instance);
} baton_plugin;

/* The exported entry's type. A C plugin defines it with BATON_PLUGIN_DEFINE_ENTRY. */
typedef const baton_plugin *BATON_NULLABLE (*baton_plugin_entry_fn)(void);

#define BATON_PLUGIN_DEFINE_ENTRY(descriptor)                   \
    BATON_PLUGIN_EXPORT const baton_plugin *baton_plugin_entry(void); \
    BATON_PLUGIN_EXPORT const baton_plugin *baton_plugin_entry(void) { return &(descriptor); }

#if defined(__clang__)
#pragma clang assume_nonnull end
#pragma clang diagnostic pop
#endif

#ifdef __cplusplus
}
#endif

#endif /* BATON_PLUGIN_H */
