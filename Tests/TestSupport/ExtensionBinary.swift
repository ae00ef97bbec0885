import Foundation

/// The extension executable this package builds, for end-to-end tests through lambda-sim.
public enum ExtensionBinary {
    public struct Missing: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "\(path) does not exist: run `swift build` (or `make test`) first" }
    }

    /// `.build/debug/elastic-apm-lambda-extension` under the repository root, built if missing.
    public static func path() throws -> String {
        // The one built beside the test bundle first, so that sanitized builds test their own.
        if let built = try? BuiltProduct.path(of: "elastic-apm-lambda-extension") { return built }
        let path = Subprocess.repositoryRoot + "/.build/debug/elastic-apm-lambda-extension"
        if !FileManager.default.isExecutableFile(atPath: path) {
            // `swift test` builds it already; this is for runners that build only the test targets.
            _ = try? Subprocess.run(["swift", "build", "--package-path", Subprocess.repositoryRoot, "--product", "elastic-apm-lambda-extension"])
        }
        guard FileManager.default.isExecutableFile(atPath: path) else { throw Missing(path: path) }
        return path
    }
}
