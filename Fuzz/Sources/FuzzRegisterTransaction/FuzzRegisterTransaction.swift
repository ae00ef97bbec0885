import FuzzSupport
import Lifecycle

/// The `/register/transaction` body parser.
@_cdecl("FuzzRegisterTransaction_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in
        if let registration = try? TransactionRegistration(ndjson: bytes(data, size)) {
            precondition(registration.transaction["id"]?.stringValue?.isEmpty == false, "accepted a transaction without id")
        }
        return 0
    }
}
