import BatonPluginAPI
import Crypto
import Logging

/// The `baton_host` function table: C thunks that find their `HostSession`
/// through `host_data` and never trust a pointer the plugin passes without
/// checking it.
extension HostSession {
    static func makeTable(hostData: UnsafeMutableRawPointer?) -> baton_host {
        baton_host(
            struct_size: UInt32(MemoryLayout<baton_host>.size),
            abi_major: PluginABI.major,
            abi_minor: PluginABI.minor,
            reserved: 0,
            host_data: hostData,
            log: { host, level, message, length in
                guard let session = HostSession.from(host), let message, length > 0 else { return }
                let count = min(length, session.limits.logLineBytesMax)
                let text = String(decoding: UnsafeRawBufferPointer(start: message, count: count), as: UTF8.self)
                session.logger.log(level: Logger.Level(batonLevel: level), "\(text)")
            },
            kv_get: { host, key, value in
                guard let session = HostSession.from(host), let key = key.array else { return BATON_ERR_INVALID_ARGUMENT }
                // A NULL writer asks only whether the key exists (the header says so).
                return session.get(key, into: value)
            },
            kv_put: { host, key, value in
                guard let session = HostSession.from(host), let key = key.array, let value = value.array
                else { return BATON_ERR_INVALID_ARGUMENT }
                return session.put(key, value)
            },
            kv_delete: { host, key in
                guard let session = HostSession.from(host), let key = key.array else { return BATON_ERR_INVALID_ARGUMENT }
                return session.put(key, nil)
            },
            kv_iterate: { host, prefix, visit, context in
                guard let session = HostSession.from(host), let prefix = prefix.array, let visit else {
                    return BATON_ERR_INVALID_ARGUMENT
                }
                return session.iterate(prefix: prefix) { key, value in
                    key.withUnsafeBufferPointer { k in
                        value.withUnsafeBufferPointer { v in
                            visit(context, baton_bytes(ptr: k.baseAddress, len: k.count),
                                  baton_bytes(ptr: v.baseAddress, len: v.count)) == 0
                        }
                    }
                }
            },
            complete: { host, token, status, data in
                guard let session = HostSession.from(host), let data = data.array else { return BATON_ERR_INVALID_ARGUMENT }
                return session.complete(token: token, status: status, data: data)
            },
            sha256: { _, data, digest in
                guard let digest, data.ptr != nil || data.len == 0 else { return }
                let input = UnsafeRawBufferPointer(start: data.ptr, count: data.ptr == nil ? 0 : data.len)
                let hash = SHA256.hash(data: input)
                hash.withUnsafeBytes { bytes in
                    for (index, byte) in bytes.enumerated() { digest[index] = byte }
                }
            },
            update_committee: { host, key, weight, address in
                guard let session = HostSession.from(host), let key = key.array, let address = address.array
                else { return BATON_ERR_INVALID_ARGUMENT }
                return session.updateCommittee(publicKey: key, weight: weight, address: address)
            })
    }
}

extension baton_bytes {
    /// A copy of the borrowed bytes, or nil for a NULL pointer with a non-zero
    /// length (a broken call the host refuses instead of dereferencing).
    var array: [UInt8]? {
        guard len > 0 else { return [] }
        guard let ptr else { return nil }
        return Array(UnsafeBufferPointer(start: ptr, count: len))
    }
}

extension Logger.Level {
    init(batonLevel: Int32) {
        switch batonLevel {
        case BATON_LOG_TRACE: self = .trace
        case BATON_LOG_DEBUG: self = .debug
        case BATON_LOG_INFO: self = .info
        case BATON_LOG_WARNING: self = .warning
        default: self = .error
        }
    }
}
