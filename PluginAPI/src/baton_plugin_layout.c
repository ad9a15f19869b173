/*
 * Compile-time proof that the ABI structs have the layout the header promises
 * on every 64-bit target we ship for (LP64): no padding, fixed offsets. If one
 * of these fails, an edit changed the ABI: append fields instead.
 */
#include "baton_plugin.h"

#if UINTPTR_MAX == 0xFFFFFFFFFFFFFFFFu
_Static_assert(sizeof(baton_bytes) == 16, "baton_bytes is frozen");
_Static_assert(sizeof(baton_writer) == 24, "baton_writer v1.0 layout");
_Static_assert(offsetof(baton_writer, write) == 16, "baton_writer.write offset");
_Static_assert(offsetof(baton_host, update_committee) == BATON_HOST_SIZE_1_0, "baton_host v1.0 layout: 1.5 appends");
_Static_assert(offsetof(baton_host, host_data) == 16, "baton_host.host_data offset");
_Static_assert(offsetof(baton_host, sha256) == 72, "baton_host.sha256 offset");
_Static_assert(sizeof(baton_block_context) == 144, "baton_block_context v1.1 layout");
_Static_assert(offsetof(baton_block_context, block_id) == 32, "block_id offset");
_Static_assert(offsetof(baton_block_context, proposer) == 96, "proposer offset");
_Static_assert(offsetof(baton_block_context, pending_count) == 120, "pending_count offset");
_Static_assert(offsetof(baton_block_context, finality_proof) == 128, "finality_proof offset (1.1)");
_Static_assert(sizeof(baton_plugin) == 160, "baton_plugin v1.7 layout");
_Static_assert(offsetof(baton_plugin, state_hash_from_store) == BATON_PLUGIN_SIZE_1_6, "1.6 table ends before state_hash_from_store");
_Static_assert(offsetof(baton_plugin, retain_height) == 152, "retain_height offset (1.7)");
_Static_assert(offsetof(baton_plugin, flags) == BATON_PLUGIN_SIZE_1_4, "1.4 table ends before flags");
_Static_assert(offsetof(baton_plugin, migrate_state) == BATON_PLUGIN_SIZE_1_3, "1.3 table ends before migrate_state");
_Static_assert(sizeof(baton_plugin) == BATON_PLUGIN_SIZE_1_7, "1.7 table size");
_Static_assert(offsetof(baton_plugin, functions) == 112, "functions offset (1.3): right after block_transactions");
_Static_assert(sizeof(baton_function) == 40, "baton_function v1.3 layout");
_Static_assert(offsetof(baton_function, description) == 32, "baton_function.description offset");
_Static_assert(sizeof(baton_host) == BATON_HOST_SIZE_1_5, "1.5 host table size");
_Static_assert(offsetof(baton_block_context, finality_proof) == BATON_BLOCK_CONTEXT_SIZE_1_0, "1.0 context ends before finality_proof");
_Static_assert(offsetof(baton_plugin, block_transactions) == BATON_PLUGIN_SIZE_1_0, "1.0 table ends before block_transactions");
_Static_assert(offsetof(baton_plugin, functions) == BATON_PLUGIN_SIZE_1_2, "1.2 table ends before functions");
_Static_assert(offsetof(baton_plugin, block_transactions) == 104, "block_transactions offset (1.2): right after the 1.0 table");
_Static_assert(offsetof(baton_plugin, name) == 16, "baton_plugin.name offset");
_Static_assert(offsetof(baton_plugin, create) == 48, "baton_plugin.create offset");
_Static_assert(offsetof(baton_plugin, query) == 96, "baton_plugin.query offset");
#endif

/* The ABI version this copy of the header describes, for tools that want it
 * without including the header. */
uint32_t baton_plugin_abi_major_of_header(void) { return BATON_PLUGIN_ABI_MAJOR; }
