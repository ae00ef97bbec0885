import Lifecycle
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The process environment, without Foundation. Sized once and split at the first "=" byte: a
/// dictionary grown entry by entry and a search by characters were ~3 % of a start's instructions.
func readEnvironment() -> [String: String] {
    var count = 0
    while environ[count] != nil { count += 1 }
    var environment: [String: String] = [:]
    environment.reserveCapacity(count)
    for index in 0..<count {
        guard let entry = environ[index], let equals = strchr(entry, Int32(UInt8(ascii: "="))) else { continue }
        let name = String(decoding: UnsafeRawBufferPointer(start: entry, count: equals - entry), as: UTF8.self)
        environment[name] = String(cString: equals + 1)
    }
    return environment
}

let environment = readEnvironment()
let arguments = CommandLine.arguments
if arguments.count > 1, arguments[1] == "--version" {
    // The version is the one in the User-Agent (`ExtensionProcess.userAgent`).
    print("elastic-apm-lambda-extension \(ExtensionProcess.version) (commit \(BuildInfo.commit), built \(BuildInfo.date), \(BuildInfo.kind))")
    exit(0)
}
// Lambda registers an extension under its file name.
let name = arguments.first.map { String($0.split(separator: "/").last ?? Substring($0)) } ?? "elastic-apm-lambda-extension"
let logLevel = environment[Configuration.Variable.logLevel].map(Configuration.logLevel(named:)) ?? .level(.info)
LoggingSystem.bootstrap { label in
    switch logLevel {
    case .off: SwiftLogNoOpLogHandler()
    case .level(let level): ECSLogHandler(label: label, level: level)
    case .unknown: ECSLogHandler(label: label, level: .info)
    }
}
let logger = Logger(label: "apm-aws-lambda")
// Not an async `main`: that ends the main thread with `dispatch_main()`, i.e. `pthread_exit`, whose
// forced unwind makes a static executable's unwinder sort every unwind entry of the binary first
// (about 200 million instructions at each cold start). The main thread runs the extension instead.
ExtensionProcess.runOnCurrentThread(environment: environment, name: name, logger: logger)
