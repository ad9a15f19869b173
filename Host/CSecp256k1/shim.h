#ifndef BATON_CSECP256K1_SHIM_H
#define BATON_CSECP256K1_SHIM_H
/* Debian's libsecp256k1-dev (0.2.0). Flag macros built from shifts do not
 * import into Swift reliably, so they are exposed as functions. */
#include <secp256k1.h>

static inline unsigned int baton_secp256k1_context_none(void) { return SECP256K1_CONTEXT_NONE; }
static inline unsigned int baton_secp256k1_ec_compressed(void) { return SECP256K1_EC_COMPRESSED; }

#endif
