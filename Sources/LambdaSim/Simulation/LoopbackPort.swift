#if canImport(Glibc)
import Glibc
#endif

/// A TCP port free on 127.0.0.1, for a server the simulator does not run itself (the
/// extension's agent receiver). The kernel picks it; it is free when this returns, and in
/// practice stays so for the moment the extension needs to bind it.
enum LoopbackPort {
    static func free() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw SimulatorError(.serverFailed, "socket() failed: \(errno)") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(socket, address, length) == 0 && getsockname(socket, address, &length) == 0
            }
        }
        guard bound else { throw SimulatorError(.serverFailed, "cannot bind a loopback port: \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
