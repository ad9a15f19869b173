import BatonPluginAPI

#if canImport(Glibc)
import Glibc
#endif

/// Reads and checks a plugin's ABI 1.3 function table at load, so that a bad
/// declaration is a load error naming the function and the problem, never a
/// failed call later.
enum FunctionTable {
    static let functionsMax = Int(BATON_FUNCTIONS_MAX)
    /// The 1.3 size of `baton_function`: what a declaration must fill.
    static let declarationBytes = MemoryLayout<baton_function>.size

    /// The prepared functions of `table` (empty for a table older than 1.3,
    /// whose bytes `readTable` left zero).
    static func read(_ table: baton_plugin, handle: UnsafeMutableRawPointer, path: String) throws(PluginLoadError)
        -> [FFIFunction]
    {
        let count = table.function_count
        guard count > 0 else { return [] }
        guard count <= functionsMax else {
            throw PluginLoadError(.badFunction(name: "(table)", problem: "declares \(count) functions; at most \(functionsMax)"), path: path)
        }
        guard let list = table.functions else {
            throw PluginLoadError(.badFunction(name: "(table)", problem: "function_count is \(count) but functions is NULL"), path: path)
        }
        var prepared: [FFIFunction] = []
        for index in 0..<count {
            let label = "#\(index)"
            guard let entry = list[index] else {
                throw PluginLoadError(.badFunction(name: label, problem: "its pointer in the table is NULL"), path: path)
            }
            let size = UnsafeRawPointer(entry).load(as: UInt32.self)
            guard Int(size) >= declarationBytes else {
                throw PluginLoadError(.badFunction(
                    name: label, problem: "struct_size is \(size); a baton_function is at least \(declarationBytes) bytes"), path: path)
            }
            // Only the fields this host knows; a newer declaration's extra
            // fields are not read.
            let declaration = entry.pointee
            let name = try PluginLibrary.text(declaration.name, field: "function \(label) name", path: path)
            guard PluginInfo.isValidName(name) else {
                throw PluginLoadError(.badFunction(name: label, problem: "name '\(name)' must be 1-64 of a-z, 0-9, '_', '-'"), path: path)
            }
            guard !prepared.contains(where: { $0.declaration.name == name }) else {
                throw PluginLoadError(.badFunction(name: name, problem: "declared twice"), path: path)
            }
            let symbol = try PluginLibrary.text(declaration.symbol, field: "function '\(name)' symbol", path: path)
            let signatureText = try PluginLibrary.text(declaration.signature, field: "function '\(name)' signature", path: path)
            let description = try PluginLibrary.text(declaration.description, field: "function '\(name)' description", path: path)
            let signature: FunctionSignature
            do { signature = try FunctionSignature(parsing: signatureText) } catch {
                throw PluginLoadError(.badFunction(name: name, problem: "signature \"\(signatureText)\": \(error)"), path: path)
            }
            _ = dlerror()
            guard !symbol.isEmpty, let address = dlsym(handle, symbol) else {
                throw PluginLoadError(.badFunction(
                    name: name, problem: "its symbol '\(symbol)' is not exported by the shared object (is it static, or a C++ name?)"),
                    path: path)
            }
            let function = PluginFunction(name: name, symbol: symbol, signature: signature, description: description)
            do { prepared.append(try FFIFunction(function, address: address)) } catch {
                throw PluginLoadError(.badFunction(name: name, problem: "\(error)"), path: path)
            }
        }
        return prepared
    }
}
