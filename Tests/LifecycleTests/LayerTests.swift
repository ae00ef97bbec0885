import Foundation
import LambdaSim
import Lifecycle
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The packaged Lambda layer (`make layer`) on a host that has nothing but the layer's files:
/// the zip unpacked under `/opt` of an otherwise empty root (plus an empty `/tmp`, and `/dev` and
/// `/proc` as every Lambda environment has them), the extension chrooted there in a private mount
/// namespace, driven by lambda-sim from outside (loopback is shared). Run with `make test-layer`.
@Suite(
    "Lambda layer in an empty root", .serialized,
    .enabled(if: LayerRoot.prerequisitesMet, "needs root, unshare and chroot, and the zip from `make layer`: run `make test-layer`"))
struct LayerTests {
    static let name = "elastic-apm-lambda-extension"

    @Test("registers under its file name, ships data, exits 0 on SHUTDOWN, trusts the layer's CA bundle")
    func happyPath() async throws {
        let root = try LayerRoot()
        defer { root.remove() }
        #expect(root.hostFilesOutsideLayer().isEmpty, "the root holds only the layer, /tmp, /dev and /proc")
        let report = try await LambdaSimulator.run(SimulationOptions(
            extensionPath: root.wrapperPath, scenario: try Scenario.load(path: EndToEnd.packageRoot + "/scenarios/happy-path.json"),
            environment: ["ELASTIC_APM_LOG_LEVEL": "debug"]))
        let log = EndToEnd.log(report)
        #expect(report.registered, "never registered; log: \(log)")
        #expect(report.extensionName == Self.name, "registered under its file name")
        #expect(report.problems.isEmpty, "\(report.problems); log: \(log)")
        #expect(report.exitCode == 0, "exit \(String(describing: report.exitCode)); log: \(log)")
        #expect(report.exitedWithinShutdownBudget)
        #expect(report.events(ofType: "transaction").count == 10, "data reached the sink")
        let intake = report.sinkRequests.filter { $0.path == "/intake/v2/events" }
        for request in intake {
            #expect(request.headers["user-agent"]?.hasPrefix("apm-aws-lambda/\(ExtensionProcess.version) ") == true)
        }
        // No CA bundle in the empty root: the layer's own is used.
        #expect(
            EndToEnd.logLines(report, containing: "CA bundle").contains { $0.contains("/opt/elastic-apm/ca-bundle.crt") && $0.contains("layer") },
            "log: \(log)")
        try EndToEnd.validateSinkEvents(report)
    }

    @Test("ships over TLS to a server whose CA is given in a file, with the statically linked OpenSSL, ignoring the image's openssl.cnf")
    func tls() async throws {
        let root = try LayerRoot()
        defer { root.remove() }
        // An image's OpenSSL configuration, for its own OpenSSL: were the layer's to read it, it
        // would offer only ciphers no server enables, and every handshake would fail.
        let hostile = """
            openssl_conf = init
            [init]
            ssl_conf = ssl
            [ssl]
            system_default = defaults
            [defaults]
            CipherString = eNULL
            Ciphersuites = TLS_AES_128_CCM_8_SHA256

            """
        try root.write(hostile, to: "/etc/ssl/openssl.cnf")
        try root.write(hostile, to: "/etc/pki/tls/openssl.cnf")
        let certificates = try root.makeCertificates()
        var scenario = Scenario(invocations: [InvocationPlan(repeat: 3)])
        scenario.sinkTLS = SinkTLS(certificatePath: certificates.certificate, privateKeyPath: certificates.key)
        let report = try await LambdaSimulator.run(SimulationOptions(
            extensionPath: root.wrapperPath, scenario: scenario,
            environment: ["ELASTIC_APM_SERVER_CA_CERT_FILE": certificates.caInsideRoot]))
        #expect(report.problems.isEmpty, "\(report.problems); log: \(EndToEnd.log(report))")
        #expect(report.exitCode == 0)
        #expect(report.events(ofType: "transaction").count == 3, "log: \(EndToEnd.log(report))")
    }

    @Test("SSL_CERT_FILE names the trust roots; without a CA that knows the server, nothing is sent")
    func sslCertFile() async throws {
        let root = try LayerRoot()
        defer { root.remove() }
        let certificates = try root.makeCertificates()
        var scenario = Scenario(invocations: [InvocationPlan(repeat: 2)])
        scenario.sinkTLS = SinkTLS(certificatePath: certificates.certificate, privateKeyPath: certificates.key)
        let trusted = try await LambdaSimulator.run(SimulationOptions(
            extensionPath: root.wrapperPath, scenario: scenario,
            environment: ["SSL_CERT_FILE": certificates.caInsideRoot, "ELASTIC_APM_LOG_LEVEL": "debug"]))
        #expect(trusted.problems.isEmpty, "\(trusted.problems); log: \(EndToEnd.log(trusted))")
        #expect(trusted.events(ofType: "transaction").count == 2, "log: \(EndToEnd.log(trusted))")
        #expect(EndToEnd.logLines(trusted, containing: "CA bundle").contains { $0.contains(certificates.caInsideRoot) && $0.contains("environment") })
        // The layer's public-CA bundle does not know the test CA: verification is on and fails.
        let untrusted = try await LambdaSimulator.run(SimulationOptions(extensionPath: root.wrapperPath, scenario: scenario))
        #expect(untrusted.registered)
        #expect(untrusted.events(ofType: "transaction").isEmpty)
    }

    @Test("the image's libraries do not matter: a /lib64 it cannot use, named in LD_LIBRARY_PATH as Lambda sets it")
    func imageLibraries() throws {
        let root = try LayerRoot()
        defer { root.remove() }
        // An image's /lib64 whose libc and libm no glibc could use (here: not even ELF).
        try root.write("not a shared library", to: "/lib64/libc.so.6")
        try root.write("not a shared library", to: "/lib64/libm.so.6")
        let output = try root.runWrapper(arguments: ["--version"], environment: ["LD_LIBRARY_PATH": "/var/lang/lib:/lib64:/usr/lib64"])
        #expect(output.hasPrefix("\(Self.name) \(ExtensionProcess.version) "), "\(output)")
    }

    @Test("resolves the APM Server by name from /etc/hosts and through DNS, never loading the image's NSS modules")
    func nameResolution() async throws {
        let root = try LayerRoot()
        defer { root.remove() }
        // As an Amazon Linux image has them, plus an NSS module built for another glibc (here:
        // not even ELF) that a lookup must never need.
        try root.write("hosts: files dns myhostname\n", to: "/etc/nsswitch.conf")
        try root.write("not a shared library", to: "/lib64/libnss_myhostname.so.2")
        try root.write("127.0.0.1 localhost\n127.0.0.1 apm-in-hosts.layer.test\n", to: "/etc/hosts")
        try root.write("nameserver \(Self.dnsAddress)\noptions timeout:1 attempts:2\n", to: "/etc/resolv.conf")
        let scenario = Scenario(invocations: [InvocationPlan(repeat: 2)])
        try await DNSFixture.withServer(address: Self.dnsAddress, names: ["apm-in-dns.layer.test": "127.0.0.1"]) {
            for host in ["apm-in-hosts.layer.test", "apm-in-dns.layer.test"] {
                let report = try await LambdaSimulator.run(SimulationOptions(extensionPath: root.wrapperPath, scenario: scenario, sinkHost: host))
                #expect(report.problems.isEmpty, "\(host): \(report.problems); log: \(EndToEnd.log(report))")
                #expect(report.exitCode == 0, "\(host): log: \(EndToEnd.log(report))")
                #expect(report.events(ofType: "transaction").count == 2, "\(host) resolved; log: \(EndToEnd.log(report))")
            }
        }
    }

    /// A loopback address of the test's own for its DNS server (port 53 there is free).
    static let dnsAddress = "127.0.0.77"

    @Test("--version prints the version of the User-Agent and the build info")
    func version() throws {
        let root = try LayerRoot()
        defer { root.remove() }
        let output = try root.runWrapper(arguments: ["--version"])
        #expect(output.hasPrefix("\(Self.name) \(ExtensionProcess.version) (commit "), "\(output)")
        #expect(!output.contains("commit unknown"), "\(output)")
        #expect(ExtensionProcess.userAgent == "apm-aws-lambda/\(ExtensionProcess.version)")
    }
}

/// An otherwise empty root directory with the layer unpacked under `/opt`, and a wrapper that
/// starts the extension chrooted there as lambda-sim's extension executable.
struct LayerRoot {
    static let zipPath = EndToEnd.packageRoot + "/dist/elastic-apm-lambda-extension-\(ExtensionProcess.version)-linux-x86_64.zip"

    /// The tools, found where Debian puts them (lambda-sim's PATH may lack the sbin folders).
    static func tool(_ name: String) -> String? {
        ["/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/"].map { $0 + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var prerequisitesMet: Bool {
        getuid() == 0 && FileManager.default.fileExists(atPath: zipPath)
            && ["unshare", "mount", "chroot", "unzip"].allSatisfy { tool($0) != nil }
    }

    let directory: String
    var path: String { directory + "/root" }
    var wrapperPath: String { directory + "/elastic-apm-lambda-extension-chrooted" }

    init() throws {
        directory = FileManager.default.temporaryDirectory.path + "/layer-test-\(UUID().uuidString)"
        let manager = FileManager.default
        for folder in ["opt", "tmp", "dev", "proc"] {
            try manager.createDirectory(atPath: path + "/" + folder, withIntermediateDirectories: true)
        }
        chmod(path + "/tmp", 0o1777)
        try Self.run([Self.tool("unzip")!, "-q", Self.zipPath, "-d", path + "/opt"])
        // A private mount namespace (its mounts vanish with the process), /proc and /dev inside
        // the root, then the layer's entry point as Lambda starts it: /opt/extensions/<name>.
        let script = """
            #!/bin/sh
            exec \(Self.tool("unshare")!) --mount --propagation private /bin/sh -c '
              \(Self.tool("mount")!) -t proc proc "$0/proc" && \(Self.tool("mount")!) --rbind /dev "$0/dev" &&
              exec \(Self.tool("chroot")!) "$0" /opt/extensions/elastic-apm-lambda-extension "$@"' '\(path)' "$@"

            """
        try script.write(toFile: wrapperPath, atomically: true, encoding: .utf8)
        chmod(wrapperPath, 0o755)
    }

    /// Writes `contents` to `file` inside the root, making its folder.
    func write(_ contents: String, to file: String) throws {
        let url = URL(fileURLWithPath: path + file)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try contents.write(to: url, atomically: true, encoding: .utf8)
    }

    /// Files in the root that are not the layer's, `/tmp`'s, `/dev` or `/proc` (expected: none).
    func hostFilesOutsideLayer() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { !["opt", "tmp", "dev", "proc"].contains($0) }
    }

    /// A CA and a certificate for 127.0.0.1 signed by it; the CA copied into the root's /tmp.
    func makeCertificates() throws -> (certificate: String, key: String, caInsideRoot: String) {
        let d = directory
        try Self.run(["/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                      "-keyout", "\(d)/ca.key", "-out", "\(d)/ca.pem", "-subj", "/CN=layer test CA"])
        try Self.run(["/usr/bin/openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(d)/server.key",
                      "-out", "\(d)/server.csr", "-subj", "/CN=127.0.0.1"])
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: "\(d)/server.ext", atomically: true, encoding: .utf8)
        try Self.run(["/usr/bin/openssl", "x509", "-req", "-in", "\(d)/server.csr", "-CA", "\(d)/ca.pem", "-CAkey", "\(d)/ca.key",
                      "-CAcreateserial", "-days", "2", "-extfile", "\(d)/server.ext", "-out", "\(d)/server.pem"])
        try FileManager.default.copyItem(atPath: "\(d)/ca.pem", toPath: path + "/tmp/ca.pem")
        return ("\(d)/server.pem", "\(d)/server.key", "/tmp/ca.pem")
    }

    /// Runs the wrapper directly (not under lambda-sim); its stdout and stderr.
    func runWrapper(arguments: [String], environment: [String: String] = [:]) throws -> String {
        try Self.run([wrapperPath] + arguments, environment: environment)
    }

    /// Removes the root, after checking that nothing is still mounted in it (the mounts live in
    /// the extension's own namespace and end with it; never delete through a live /dev bind).
    func remove() {
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        guard !mounts.contains(directory) else {
            Issue.record("\(directory) still has mounts in this namespace: not removed")
            return
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    @discardableResult
    static func run(_ command: [String], environment: [String: String] = [:]) throws -> String {
        let process = Process()
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw LayerTestError(description: "\(command.joined(separator: " ")) exited \(process.terminationStatus): \(output)")
        }
        return output
    }
}

struct LayerTestError: Error, CustomStringConvertible {
    let description: String
}
