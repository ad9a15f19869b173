import Foundation

/// Builds a Rust plugin the way its README says: `cargo build --release
/// --offline`, into .build/rust (ignored by git, kept between runs).
public enum Cargo {
    /// Builds the crate at `Plugins/<folder>` and returns the path of `lib<name>.so`.
    public static func plugin(folder: String, name: String) throws -> String {
        let target = Paths.source(".build/rust")
        let run = try runProcess("/usr/bin/env", ["cargo", "build", "--release", "--offline", "--quiet",
                                                  "--manifest-path", Paths.source("Plugins/\(folder)/Cargo.toml"),
                                                  "--target-dir", target])
        guard run.status == 0 else {
            throw CompilerError(description: "cargo build of Plugins/\(folder) failed (are rustc and cargo on PATH?): \(run.output)")
        }
        return target + "/release/lib\(name).so"
    }
}
