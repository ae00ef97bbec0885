/// A DNS server (`scripts/dns_test_server.py`) answering A queries for the given names, on
/// `address` port 53 (a loopback address of its own, so as not to meet a local resolver).
/// Binding port 53 needs root, as the layer tests that use it do.
public enum DNSFixture {
    public static func withServer<Result>(
        address: String, names: [String: String], _ body: () async throws -> Result
    ) async throws -> Result {
        let server = try LineServer(command: [
            "python3", Subprocess.repositoryRoot + "/scripts/dns_test_server.py", address, "53",
        ] + names.map { "\($0.key)=\($0.value)" })
        defer { server.stop() }
        return try await body()
    }
}
