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
    /// The resolved symbol (benchmarks call it directly to measure libffi's cost).
    let address: UnsafeMutableRawPointer
    private let cif: UnsafeMutablePointer<ffi_cif>
    private let types: UnsafeMutablePointer<UnsafeMutablePointer<ffi_type>?>
    /// C arguments: instance, host, the parameters (bytes counts twice), the writer.
    let cArgumentCount: Int
    /// The declaration's parameter types and result, kept flat for the
    /// per-call check (no copy of the declaration on the call path).
    let parameterTypes: [FunctionType]
    let result: FunctionType

    init(_ declaration: PluginFunction, address: UnsafeMutableRawPointer) throws(SignatureError) {
        self.declaration = declaration
        self.address = address
        let signature = declaration.signature
        parameterTypes = signature.parameters.map(\.type)
        result = signature.result
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

    /// `PluginFunction.check`, on the flat types: errors name the argument.
    func check(_ arguments: [FunctionValue]) throws(FunctionCallError) {
        guard arguments.count == parameterTypes.count else { return try declaration.check(arguments) }
        for index in arguments.indices {
            let argument = arguments[index]
            guard argument.type == parameterTypes[index] else { return try declaration.check(arguments) }
            if case .str(let text) = argument, text.utf8.contains(0) { return try declaration.check(arguments) }
        }
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
    ///
    /// One temporary allocation holds everything the call needs (on the
    /// stack when small): an 8-byte slot per C argument, the pointer to each
    /// slot that `ffi_call` takes, and the copies of str (NUL-terminated) and
    /// bytes arguments, which live until the call returns. No malloc, no
    /// Swift array: measured, a per-call `strdup` and an array of owned
    /// copies doubled the cost of a one-string call.
    func call(instance: UnsafeMutableRawPointer, host: UnsafePointer<baton_host>, arguments: [FunctionValue],
              writer: UnsafePointer<baton_writer>?) -> UInt64 {
        let count = cArgumentCount
        var dataBytes = 0
        for argument in arguments {
            switch argument {
            case .str(let text): dataBytes += text.utf8.count + 1
            case .bytes(let bytes): dataBytes += bytes.count
            default: break
            }
        }
        let header = 16 * count
        return withUnsafeTemporaryAllocation(byteCount: header + dataBytes, alignment: 8) { buffer in
            let base = buffer.baseAddress!
            let pointers = (base + 8 * count).bindMemory(to: UnsafeMutableRawPointer?.self, capacity: count)
            var index = 0
            var data = base + header
            func put<T>(_ value: T) {
                let slot = base + 8 * index
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
                case .str(var text):
                    let start = data
                    let length = text.withUTF8 { utf8 in
                        if let source = utf8.baseAddress, utf8.count > 0 { data.copyMemory(from: source, byteCount: utf8.count) }
                        return utf8.count
                    }
                    data.storeBytes(of: 0, toByteOffset: length, as: UInt8.self)
                    data += length + 1
                    put(UnsafeRawPointer(start))
                case .bytes(let bytes):
                    if bytes.isEmpty {
                        put(UnsafeRawPointer?.none)
                    } else {
                        let start = data
                        bytes.withUnsafeBytes { data.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
                        data += bytes.count
                        put(UnsafeRawPointer(start))
                    }
                    put(bytes.count)
                }
            }
            if !declaration.signature.result.isScalar { put(writer) }
            precondition(index == count, "arguments were not checked against the signature")
            // libffi widens integer results narrower than a register to
            // ffi_arg (8 bytes here): the return buffer is 8 bytes.
            var raw: UInt64 = 0
            ffi_call(cif, unsafeBitCast(address, to: (@convention(c) () -> Void).self), &raw, pointers)
            return raw
        }
    }
}
