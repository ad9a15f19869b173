import Foundation

/// Builds a Rust plugin the way its README says: `cargo build --release
/// --offline`, into .build/rust (ignored by git, kept between runs).
public enum Cargo {
    /// cargo on PATH, else where rustup installs it (a CI shell may not
    /// have sourced ~/.cargo/env).
    static var executable: String? {
        let environment = ProcessInfo.processInfo.environment
        let path = (environment["PATH"] ?? "").split(separator: ":").map { "\($0)/cargo" }
        let home = environment["HOME"].map { ["\($0)/.cargo/bin/cargo"] } ?? []
        return (path + home + ["/root/.cargo/bin/cargo", "/usr/local/cargo/bin/cargo"])
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Builds the crate at `Plugins/<folder>` and returns the path of `lib<name>.so`.
    public static func plugin(folder: String, name: String) async throws -> String {
        guard let cargo = executable else {
            throw CompilerError(description: "cargo not found on PATH or in ~/.cargo/bin: install Rust (rustup) to build Plugins/\(folder)")
        }
        let target = Paths.source(".build/rust")
        let run = try await runProcess(cargo, ["build", "--release", "--offline", "--quiet",
                                                  "--manifest-path", Paths.source("Plugins/\(folder)/Cargo.toml"),
                                                  "--target-dir", target])
        guard run.status == 0 else {
            throw CompilerError(description: "cargo build of Plugins/\(folder) failed (are rustc and cargo on PATH?): \(run.output)")
        }
        return target + "/release/lib\(name).so"
    }
}
