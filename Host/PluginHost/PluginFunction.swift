/// A typed function a plugin declares in its ABI 1.3 function table, as the
/// host checked it at load: the symbol resolved, the signature parsed.
public struct PluginFunction: Sendable, Hashable {
    /// What users call it by: 1-64 of a-z, 0-9, '_', '-'; unique in the plugin.
    public let name: String
    /// The exported C symbol behind it.
    public let symbol: String
    public let signature: FunctionSignature
    /// One line, the plugin's own words.
    public let description: String

    public init(name: String, symbol: String, signature: FunctionSignature, description: String) {
        self.name = name
        self.symbol = symbol
        self.signature = signature
        self.description = description
    }
}

extension PluginFunction {
    /// Refuses arguments that do not match the signature, naming the first
    /// one that does not: the C function only ever sees its declared types.
    public func check(_ arguments: [FunctionValue]) throws(FunctionCallError) {
        let parameters = signature.parameters
        guard arguments.count == parameters.count else {
            throw .wrongArity(function: name, expected: parameters.count, got: arguments.count, signature: signature)
        }
        for (argument, parameter) in zip(arguments, parameters) {
            guard argument.type == parameter.type else {
                throw .wrongType(function: name, parameter: parameter.name, expected: parameter.type, got: argument.type)
            }
            if case .str(let text) = argument, text.utf8.contains(0) {
                throw .invalidString(function: name, parameter: parameter.name)
            }
        }
    }
}
