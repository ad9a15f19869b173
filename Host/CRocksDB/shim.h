#ifndef BATON_CROCKSDB_SHIM_H
#define BATON_CROCKSDB_SHIM_H
/* Debian's librocksdb-dev (7.8), through its stable C API. */
#include <rocksdb/c.h>
#endif
