import ArgumentParser
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
              let listing = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any],
              let functions = listing["functions"] as? [[String: Any]]
        else {
            printError("error: no answer from http://\(api)/v1/apps/functions: is a node's API there (api = in its node.toml)?")
            throw ExitCode.failure
        }
        guard let name else {
            let rows = functions.map { ["\($0["name"] ?? "")\($0["signature"] ?? "")", "\($0["description"] ?? "")"] }
            print(rows.isEmpty ? "\(listing["plugin"] ?? "the application") exports no functions" : Table.render(rows))
            return
        }
        guard let function = functions.first(where: { $0["name"] as? String == name }) else {
            printError("error: no function '\(name)'; the node's application has: \(functions.compactMap { $0["name"] as? String }.joined(separator: ", "))")
            throw ExitCode.failure
        }
        let parameters = function["parameters"] as? [[String: String]] ?? []
        guard parameters.count == arguments.count else {
            printError("error: \(name)\(function["signature"] ?? "") takes \(parameters.count) argument(s), got \(arguments.count)")
            throw ExitCode.failure
        }
        var values: [Any] = []
        for (text, parameter) in zip(arguments, parameters) {
            switch parameter["type"] {
            case "f64":
                guard let number = Double(text) else {
                    printError("error: argument '\(parameter["name"] ?? "")' must be a number (f64), got '\(text)'")
                    throw ExitCode.failure
                }
                values.append(number)
            case "bool":
                guard text == "true" || text == "false" else {
                    printError("error: argument '\(parameter["name"] ?? "")' must be true or false, got '\(text)'")
                    throw ExitCode.failure
                }
                values.append(text == "true")
            default: values.append(text)  // integers as decimal strings (exact for 64 bits), str and hex bytes as given
            }
        }
        let payload = try JSONSerialization.data(withJSONObject: values)
        guard let (callStatus, answer) = await httpRequest("POST", base + "/v1/apps/call/\(name)", body: payload) else {
            printError("error: no answer from \(base)")
            throw ExitCode.failure
        }
        let object = (try? JSONSerialization.jsonObject(with: answer)) as? [String: Any] ?? [:]
        guard callStatus == 200 else {
            printError("error: \(object["error"] ?? String(decoding: answer, as: UTF8.self)) (HTTP \(callStatus))")
            throw ExitCode.failure
        }
        if json {
            print(String(decoding: answer, as: UTF8.self))
        } else {
            let result = object["result"]
            if let text = result as? String { print(text) } else if result == nil || result is NSNull { print("null") } else {
                let data = try JSONSerialization.data(withJSONObject: [result!], options: [.fragmentsAllowed])
                print(String(decoding: data.dropFirst().dropLast(), as: UTF8.self))
            }
        }
    }
}
