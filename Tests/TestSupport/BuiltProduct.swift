import Foundation

/// Finds an executable this package builds (`apm-upload`, `elastic-apm-lambda-extension`, …) so
/// that tests run the real binary. `swift test` builds every product into the directory its test
/// bundle runs from; `.build/debug` is the fallback for other runners.
public enum BuiltProduct {
    public struct Missing: Error, CustomStringConvertible {
        public let name: String
        public let searched: [String]
        public var description: String {
            "the \(name) executable is not built (looked in \(searched.joined(separator: ", "))): run `swift build` first"
        }
    }

    public static func path(of name: String) throws -> String {
        var directories: [String] = []
        if let override = ProcessInfo.processInfo.environment["EAPM_BIN_PATH"] { directories.append(override) }
        if let executable = Bundle.main.executablePath {
            directories.append(URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent().path)
        }
        directories.append(Subprocess.repositoryRoot + "/.build/debug")
        for directory in directories {
            let candidate = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw Missing(name: name, searched: directories)
    }
}
