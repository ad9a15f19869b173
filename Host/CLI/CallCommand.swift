import ArgumentParser
import BatonAPI
import BatonConsole
import Foundation

/// `baton call`: a plugin's typed function (ABI 1.3) on a running node, by
/// name, with arguments typed by its signature.
struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Call a typed function of the application on a running node.",
        discussion: """
            Reads the function's signature from the node (GET /v1/apps/functions), types each \
            argument by it and calls it (POST /v1/apps/call/NAME). Integers are decimal, f64 a \
            number, bool true or false, str as given, bytes hex. With no NAME, lists the functions.
            Example: baton call --api 127.0.0.1:8100 distance_to 3 4
            """)

    @Option(help: "The node's HTTP API, HOST:PORT.") var api: String
    @Argument(help: "The function's name; none lists them.") var name: String?
    @Argument(parsing: .allUnrecognized, help: "Its arguments, in order.") var arguments: [String] = []
    @Flag(help: "Print the node's whole JSON answer (result, type, height) instead of the result alone.") var json = false

    func run() async throws {
        let base = "http://\(api)"
        guard let (status, body) = await httpRequest("GET", base + "/v1/apps/functions"), status == 200,
              let listing = APIJSON.decode(FunctionListing.self, from: body)
        else {
            printError("error: no answer from http://\(api)/v1/apps/functions: is a node's API there (api = in its node.toml)?")
            throw ExitCode.failure
        }
        let functions = listing.functions
        guard let name else {
            let rows = functions.map { ["\($0.name)\($0.signature)", $0.description] }
            print(rows.isEmpty ? "\(listing.plugin) exports no functions" : Table.render(rows))
            return
        }
        guard let function = functions.first(where: { $0.name == name }) else {
            printError("error: no function '\(name)'; the node's application has: \(functions.map(\.name).joined(separator: ", "))")
            throw ExitCode.failure
        }
        guard function.parameters.count == arguments.count else {
            printError("error: \(name)\(function.signature) takes \(function.parameters.count) argument(s), got \(arguments.count)")
            throw ExitCode.failure
        }
        var values: [JSONValue] = []
        for (text, parameter) in zip(arguments, function.parameters) {
            switch parameter.type {
            case "f64":
                guard let number = Double(text) else {
                    printError("error: argument '\(parameter.name)' must be a number (f64), got '\(text)'")
                    throw ExitCode.failure
                }
                values.append(.number(number))
            case "bool":
                guard text == "true" || text == "false" else {
                    printError("error: argument '\(parameter.name)' must be true or false, got '\(text)'")
                    throw ExitCode.failure
                }
                values.append(.bool(text == "true"))
            default: values.append(.string(text))  // integers as decimal strings (exact for 64 bits), str and hex bytes as given
            }
        }
        guard let (callStatus, answer) = await httpRequest("POST", base + "/v1/apps/call/\(name)", body: APIJSON.encode(values)) else {
            printError("error: no answer from \(base)")
            throw ExitCode.failure
        }
        guard callStatus == 200 else {
            let reason = APIJSON.decode(APIError.self, from: answer)?.error ?? String(decoding: answer, as: UTF8.self)
            printError("error: \(reason) (HTTP \(callStatus))")
            throw ExitCode.failure
        }
        if json {
            print(String(decoding: answer, as: UTF8.self))
        } else {
            guard let called = APIJSON.decode(FunctionCallAnswer.self, from: answer) else {
                printError("error: the node's answer is not a function result: \(String(decoding: answer, as: UTF8.self))")
                throw ExitCode.failure
            }
            if case .string(let text) = called.result { print(text) } else { print(called.result.text) }
        }
    }
}
