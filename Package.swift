// swift-tools-version:6.1
import PackageDescription

/// Settings every Swift target shares: Swift 6 mode is the package default; these make imports
/// explicit and existentials visible.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("ExistentialAny"),
]

/// The extension's own modules also leave out Swift's string-processing (regex) module, which
/// every module imports implicitly: one call into it links 1.2 MB into the layer's static binary.
/// Without the import, such a call does not compile. (The dynamic build still loads the module's
/// shared objects: swift-nio and swift-log import it.)
let extensionSwiftSettings = swiftSettings + [
    .unsafeFlags(["-Xfrontend", "-disable-implicit-string-processing-module-import"]),
]

let package = Package(
    name: "elastic-apm-lambda-extension",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "elastic-apm-lambda-extension", targets: ["Main"]),
        .executable(name: "lambda-sim", targets: ["LambdaSimCLI"]),
        .executable(name: "apm-upload", targets: ["APMUpload"]),
        .library(name: "Transport", targets: ["Transport"]),
        // For the Benchmarks/ and Fuzz/ packages: entry points into the extension's package-level API.
        .library(name: "LifecycleTesting", targets: ["LifecycleTesting"]),
        .library(name: "JSON", targets: ["JSON"]),
        .library(name: "LambdaSim", targets: ["LambdaSim"]),
        // `make compare`'s stack floor: the protocol floor on the extension's HTTP server and client.
        .executable(name: "elastic-apm-stack-floor", targets: ["StackFloor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        // MARK: System libraries (found with pkg-config; `make deps` installs them)
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),

        // MARK: The product's modules: Main -> Lifecycle -> (HTTPServer ->) Transport -> CShims
        .target(name: "CShims", dependencies: ["CZlib", "CCurl", "COpenSSL"]),
        .target(name: "JSON", swiftSettings: extensionSwiftSettings),
        // NIOLock where ThreadSanitizer must see the lock (Mutex's futex is invisible to it).
        .target(
            name: "Transport",
            dependencies: ["CShims", "JSON", .product(name: "NIOConcurrencyHelpers", package: "swift-nio")],
            swiftSettings: extensionSwiftSettings),
        // The one HTTP server: the extension's receiver and telemetry listener, lambda-sim's endpoints.
        .target(
            name: "HTTPServer",
            dependencies: [
                "Transport", "JSON",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                // NIOLockedValueBox (a pthread mutex) where ThreadSanitizer must see the lock: see HTTPServer's Connections.
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: extensionSwiftSettings
        ),
        .target(
            name: "Lifecycle",
            dependencies: [
                "Transport", "JSON", "HTTPServer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: extensionSwiftSettings
        ),
        // Not part of the extension: what Fuzz/ and Benchmarks/ (packages of their own) drive.
        .target(
            name: "LifecycleTesting",
            dependencies: ["Lifecycle", "HTTPServer", "Transport", "JSON", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "Main",
            dependencies: ["Lifecycle", .product(name: "Logging", package: "swift-log")],
            swiftSettings: extensionSwiftSettings
        ),

        // MARK: The local Lambda platform simulator
        .target(
            name: "LambdaSim",
            dependencies: [
                "Transport", "JSON", "HTTPServer",
                // The sink's TLS mode terminates TLS itself (swift-nio-ssl is not a dependency).
                "COpenSSL",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "LambdaSimCLI",
            dependencies: ["LambdaSim", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),

        // MARK: The upload CLI (debugging connectivity, auth and TLS through the same transport)
        .executableTarget(
            name: "APMUpload",
            // Lifecycle for the extension's variable names: one place for them.
            dependencies: ["Transport", "JSON", "Lifecycle", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),

        // MARK: The stack floor (Benchmarks/ANALYSIS.md): the extension's messages on its building blocks
        .executableTarget(
            name: "StackFloor",
            dependencies: [
                "HTTPServer", "Transport", "JSON",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            // As the extension's modules are built, so that it links what they link.
            swiftSettings: extensionSwiftSettings
        ),

        // MARK: Tests
        // Fixtures shared by the test targets: programs (and the built products), a test CA and
        // TLS server (lambda-sim's sink), moto.
        .target(name: "TestSupport", dependencies: ["LambdaSim"], path: "Tests/TestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "JSONTests", dependencies: ["JSON"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TransportTests",
            dependencies: [
                "Transport", "TestSupport",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "LambdaSimTests", dependencies: ["LambdaSim", "HTTPServer", "Transport", "JSON", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "LifecycleTests",
            dependencies: [
                "Lifecycle", "LambdaSim", "HTTPServer", "Transport", "TestSupport", .product(name: "Logging", package: "swift-log"),
                // The receiver's unit tests bind it on an event loop of their own.
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "APMUploadTests",
            dependencies: ["APMUpload", "LambdaSim", "Transport", "JSON", "TestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
