import BatonPluginAPI
import CFFI

#if canImport(Glibc)
import Glibc
#endif

/// A plugin's typed function with its libffi call interface prepared once, at
/// load: every call after that is `ffi_call` with the arguments laid out in
/// place, no parsing and no allocation for scalars.
///
/// The C shape (baton_plugin.h, "Typed functions"): `void *instance`, `const
/// baton_host *host`, then each parameter (a `bytes` parameter is a pointer
/// and a `size_t`), then, for a str/bytes result, a `const baton_writer *`;
/// a scalar result is the return value, a str/bytes result returns a
/// `baton_status`.
///
/// Invariant: `cif` and the type array it points at live exactly as long as
/// this object, and the symbol lives for the process (plugins are never
/// unloaded), so a prepared function can be called until it is released.
final class FFIFunction: @unchecked Sendable {
    // @unchecked: immutable after init; the cif is only read by ffi_call, and
    // calls are serialized by the instance rule.
    let declaration: PluginFunction
    private let address: UnsafeMutableRawPointer
    private let cif: UnsafeMutablePointer<ffi_cif>
    private let types: UnsafeMutablePointer<UnsafeMutablePointer<ffi_type>?>
    /// C arguments: instance, host, the parameters (bytes counts twice), the writer.
    let cArgumentCount: Int

    init(_ declaration: PluginFunction, address: UnsafeMutableRawPointer) throws(SignatureError) {
        self.declaration = declaration
        self.address = address
        let signature = declaration.signature
        var list: [UnsafeMutablePointer<ffi_type>?] = [baton_ffi_pointer(), baton_ffi_pointer()]
        for parameter in signature.parameters {
            switch parameter.type {
            case .bytes: list += [baton_ffi_pointer(), Self.sizeT]
            default: list.append(Self.ffiType(parameter.type))
            }
        }
        if !signature.result.isScalar { list.append(baton_ffi_pointer()) }
        cArgumentCount = list.count
        types = .allocate(capacity: list.count)
        types.initialize(from: list, count: list.count)
        cif = .allocate(capacity: 1)
        let result = signature.result.isScalar ? Self.ffiType(signature.result) : baton_ffi_sint32()
        let status = ffi_prep_cif(cif, baton_ffi_default_abi(), UInt32(list.count), result, types)
        guard status == FFI_OK else {
            types.deallocate()
            cif.deallocate()
            throw SignatureError("libffi could not prepare the call (ffi_prep_cif status \(status.rawValue))")
        }
    }

    deinit {
        types.deallocate()
        cif.deallocate()
    }

    /// size_t as libffi sees it on this platform.
    private static var sizeT: UnsafeMutablePointer<ffi_type> {
        MemoryLayout<Int>.size == 8 ? baton_ffi_uint64() : baton_ffi_uint32()
    }

    private static func ffiType(_ type: FunctionType) -> UnsafeMutablePointer<ffi_type> {
        switch type {
        case .i32: baton_ffi_sint32()
        case .i64: baton_ffi_sint64()
        case .u32: baton_ffi_uint32()
        case .u64: baton_ffi_uint64()
        case .f64: baton_ffi_double()
        case .bool: baton_ffi_uint8()
        case .str, .bytes: baton_ffi_pointer()
        }
    }

    /// Calls the function. `arguments` must already match the signature
    /// (`PluginApplication.call` checks); `writer` is the output for a
    /// str/bytes result and ignored for a scalar one. Returns the raw return
    /// value: the scalar's bits, or the baton_status.
    func call(instance: UnsafeMutableRawPointer, host: UnsafePointer<baton_host>, arguments: [FunctionValue],
              writer: UnsafePointer<baton_writer>?) -> UInt64 {
        // Every C argument fits in 8 bytes: one slot each, and one pointer to
        // each slot for ffi_call. str and bytes point at copies that live
        // until the call returns.
        let count = cArgumentCount
        return withUnsafeTemporaryAllocation(byteCount: 8 * count, alignment: 8) { slots in
            withUnsafeTemporaryAllocation(of: UnsafeMutableRawPointer?.self, capacity: count) { pointers in
                var owned: [UnsafeMutableRawPointer] = []
                defer { owned.forEach { free($0) } }
                var index = 0
                func put<T>(_ value: T) {
                    let slot = slots.baseAddress! + 8 * index
                    slot.storeBytes(of: value, as: T.self)
                    pointers[index] = slot
                    index += 1
                }
                put(instance)
                put(host)
                for argument in arguments {
                    switch argument {
                    case .i32(let v): put(v)
                    case .i64(let v): put(v)
                    case .u32(let v): put(v)
                    case .u64(let v): put(v)
                    case .f64(let v): put(v)
                    case .bool(let v): put(UInt8(v ? 1 : 0))
                    case .str(let v):
                        let copy = strdup(v)!
                        owned.append(UnsafeMutableRawPointer(copy))
                        put(UnsafeRawPointer(copy))
                    case .bytes(let v):
                        if v.isEmpty {
                            put(UnsafeRawPointer?.none)
                        } else {
                            let copy = malloc(v.count)!
                            v.withUnsafeBytes { copy.copyMemory(from: $0.baseAddress!, byteCount: v.count) }
                            owned.append(copy)
                            put(UnsafeRawPointer(copy))
                        }
                        put(v.count)
                    }
                }
                if !declaration.signature.result.isScalar { put(writer) }
                precondition(index == count, "arguments were not checked against the signature")
                // libffi widens integer results narrower than a register to
                // ffi_arg (8 bytes here): the return buffer is 8 bytes.
                var raw: UInt64 = 0
                ffi_call(cif, unsafeBitCast(address, to: (@convention(c) () -> Void).self), &raw, pointers.baseAddress)
                return raw
            }
        }
    }
}
