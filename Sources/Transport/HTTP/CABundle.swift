#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Finds the system's trusted root certificates wherever the running system keeps them.
///
/// libcurl looks only where the distribution that built it keeps its bundle (Debian:
/// `/etc/ssl/certs/ca-certificates.crt`); Amazon Linux keeps it at
/// `/etc/pki/tls/certs/ca-bundle.crt`. The Lambda layer also ships a bundle of its own, used when
/// the function's image has none.
public enum CABundle {
    /// The variable OpenSSL honours for its default bundle; it wins over every known path.
    public static let environmentVariable = "SSL_CERT_FILE"

    /// Known system bundles, in the order they are tried.
    public static let systemPaths = [
        "/etc/pki/tls/certs/ca-bundle.crt",   // Amazon Linux 2 and 2023, RHEL, Fedora
        "/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Alpine
        "/etc/ssl/cert.pem",                  // Alpine, the BSDs
    ]

    /// The layer's own bundle, relative to the directory above the executable's:
    /// `/opt/extensions/<name>` -> `/opt/elastic-apm/ca-bundle.crt`.
    public static let layerBundle = "elastic-apm/ca-bundle.crt"

    /// Where a bundle was found, and why that one.
    public struct Location: Sendable, Equatable, CustomStringConvertible {
        public enum Source: String, Sendable { case environment, system, layer }
        public var path: String
        public var source: Source

        public init(path: String, source: Source) {
            self.path = path
            self.source = source
        }

        public var description: String { "\(path) (\(source.rawValue))" }
    }

    /// The first readable of: `$SSL_CERT_FILE`, the known system paths, the layer's bundle next
    /// to the executable. nil: none (libcurl's compiled-in default then applies).
    /// - Parameters:
    ///   - executablePath: the running executable; by default `/proc/self/exe`.
    ///   - systemPaths: the system paths to try (tests substitute their own).
    ///   - isReadable: whether a file can be read (tests substitute their own).
    public static func locate(
        environment: [String: String],
        executablePath: String? = CABundle.currentExecutablePath(),
        systemPaths: [String] = CABundle.systemPaths,
        isReadable: (String) -> Bool = CABundle.isReadableFile
    ) -> Location? {
        if let path = environment[environmentVariable], !path.isEmpty, isReadable(path) {
            return Location(path: path, source: .environment)
        }
        for path in systemPaths where isReadable(path) {
            return Location(path: path, source: .system)
        }
        if let executablePath, let path = layerBundlePath(executablePath: executablePath), isReadable(path) {
            return Location(path: path, source: .layer)
        }
        return nil
    }

    /// `<directory above the executable's>/elastic-apm/ca-bundle.crt`, or nil for a path with
    /// too few components.
    public static func layerBundlePath(executablePath: String) -> String? {
        var components = executablePath.split(separator: "/", omittingEmptySubsequences: true)
        guard executablePath.hasPrefix("/"), components.count >= 2 else { return nil }
        components.removeLast(2)  // the file name, then its directory (`extensions`)
        return "/" + (components.map(String.init) + [layerBundle]).joined(separator: "/")
    }

    /// A regular file this process may read.
    public static func isReadableFile(_ path: String) -> Bool {
        var status = stat()
        guard stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return false }
        return access(path, R_OK) == 0
    }

    /// The absolute path of the running executable (`/proc/self/exe`), nil when /proc is absent.
    public static func currentExecutablePath() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
