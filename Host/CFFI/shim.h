#ifndef BATON_CFFI_SHIM_H
#define BATON_CFFI_SHIM_H
/* Debian's libffi-dev (3.4). The ffi_type globals are exported data symbols;
 * their addresses are taken through these functions so Swift never needs a
 * mutable global's address. */
#include <ffi.h>

static inline ffi_type *baton_ffi_void(void) { return &ffi_type_void; }
static inline ffi_type *baton_ffi_uint8(void) { return &ffi_type_uint8; }
static inline ffi_type *baton_ffi_sint32(void) { return &ffi_type_sint32; }
static inline ffi_type *baton_ffi_uint32(void) { return &ffi_type_uint32; }
static inline ffi_type *baton_ffi_sint64(void) { return &ffi_type_sint64; }
static inline ffi_type *baton_ffi_uint64(void) { return &ffi_type_uint64; }
static inline ffi_type *baton_ffi_double(void) { return &ffi_type_double; }
static inline ffi_type *baton_ffi_pointer(void) { return &ffi_type_pointer; }
static inline ffi_abi baton_ffi_default_abi(void) { return FFI_DEFAULT_ABI; }

#endif
