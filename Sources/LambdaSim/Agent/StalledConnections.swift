import Glibc
import NIOConcurrencyHelpers

/// Connections a probe opened and left half-sent, as a slow or broken client does; closed when
/// the simulation ends.
final class StalledConnections: Sendable {
    private let descriptors = NIOLockedValueBox<[Int32]>([])

    /// Connects to 127.0.0.1:`port` and sends `bytes` (an incomplete request); false if it could not.
    func open(port: Int, sending bytes: [UInt8]) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0, bytes.withUnsafeBytes({ send(descriptor, $0.baseAddress, $0.count, 0) }) == bytes.count else {
            close(descriptor)
            return false
        }
        descriptors.withLockedValue { $0.append(descriptor) }
        return true
    }

    func closeAll() {
        for descriptor in descriptors.withLockedValue({ list in defer { list.removeAll() }; return list }) { close(descriptor) }
    }
}
