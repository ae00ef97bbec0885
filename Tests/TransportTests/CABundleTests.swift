import Foundation
import Testing
import Transport

/// The CA bundle lookup with real temporary files: `SSL_CERT_FILE`, then the system paths in
/// order, then the layer's bundle next to the executable.
@Suite("CA bundle lookup")
struct CABundleTests {
    /// A temporary root holding a fake layer (`opt/extensions/ext`, `opt/elastic-apm/ca-bundle.crt`)
    /// and fake system bundles `sys1.pem`, `sys2.pem`, `env.pem`.
    struct Root {
        let path: String
        var executable: String { path + "/opt/extensions/elastic-apm-lambda-extension" }
        var layerBundle: String { path + "/opt/elastic-apm/ca-bundle.crt" }
        var system: [String] { [path + "/sys1.pem", path + "/sys2.pem"] }
        var environmentBundle: String { path + "/env.pem" }

        init() throws {
            path = FileManager.default.temporaryDirectory.path + "/cabundle-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: path + "/opt/extensions", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: path + "/opt/elastic-apm", withIntermediateDirectories: true)
            try "#!/bin/sh\n".write(toFile: executable, atomically: true, encoding: .utf8)
        }

        func create(_ file: String) throws {
            try "-----BEGIN CERTIFICATE-----\n".write(toFile: file, atomically: true, encoding: .utf8)
        }

        func locate(_ environment: [String: String] = [:]) -> CABundle.Location? {
            CABundle.locate(environment: environment, executablePath: executable, systemPaths: system)
        }

        func remove() { try? FileManager.default.removeItem(atPath: path) }
    }

    @Test("SSL_CERT_FILE wins over every system path and the layer's bundle")
    func environmentFirst() throws {
        let root = try Root()
        defer { root.remove() }
        for file in root.system + [root.layerBundle, root.environmentBundle] { try root.create(file) }
        #expect(root.locate(["SSL_CERT_FILE": root.environmentBundle]) == .init(path: root.environmentBundle, source: .environment))
    }

    @Test("an SSL_CERT_FILE that does not exist, or is empty, is passed over")
    func missingEnvironmentFile() throws {
        let root = try Root()
        defer { root.remove() }
        try root.create(root.system[1])
        #expect(root.locate(["SSL_CERT_FILE": root.path + "/absent.pem"]) == .init(path: root.system[1], source: .system))
        #expect(root.locate(["SSL_CERT_FILE": ""]) == .init(path: root.system[1], source: .system))
    }

    @Test("the system paths are tried in order, before the layer's bundle")
    func systemOrder() throws {
        let root = try Root()
        defer { root.remove() }
        try root.create(root.layerBundle)
        try root.create(root.system[1])
        #expect(root.locate() == .init(path: root.system[1], source: .system))
        try root.create(root.system[0])
        #expect(root.locate() == .init(path: root.system[0], source: .system))
    }

    @Test("with no system bundle, the layer's own next to the executable")
    func layerBundle() throws {
        let root = try Root()
        defer { root.remove() }
        #expect(root.locate() == nil)
        try root.create(root.layerBundle)
        #expect(root.locate() == .init(path: root.layerBundle, source: .layer))
        // A directory where a bundle is expected is not a bundle.
        try FileManager.default.createDirectory(atPath: root.system[0], withIntermediateDirectories: true)
        #expect(root.locate() == .init(path: root.layerBundle, source: .layer))
    }

    @Test("the layer's bundle path and the known system paths")
    func paths() {
        #expect(CABundle.layerBundlePath(executablePath: "/opt/extensions/elastic-apm-lambda-extension") == "/opt/elastic-apm/ca-bundle.crt")
        #expect(CABundle.layerBundlePath(executablePath: "relative/extension") == nil)
        #expect(CABundle.systemPaths.first == "/etc/pki/tls/certs/ca-bundle.crt")
        #expect(CABundle.systemPaths.contains("/etc/ssl/certs/ca-certificates.crt"))
        #expect(CABundle.currentExecutablePath()?.hasPrefix("/") == true)
    }
}
