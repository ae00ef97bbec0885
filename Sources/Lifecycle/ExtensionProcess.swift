import HTTPServer
import JSON
package import Logging
import NIOCore
import NIOPosix
import Synchronization
import Transport

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The extension from start to exit: read the configuration, register, start the receiver and
/// the telemetry listener, run the invocation loop, shut down. Every component is created here and
/// lives exactly as long as this function.
package enum ExtensionProcess {
    package static let version = "0.1.0"
    package static let userAgent = "apm-aws-lambda/\(version)"
    /// Registration is answered at once by Lambda; one that takes longer will not succeed.
    static let registrationTimeout = Duration.seconds(1)
    /// From the start of a registration that fails to the exit, init error report included.
    static let registrationFailureExitMilliseconds: UInt64 = 1900

    /// Runs the extension on the calling thread and exits with its exit code. The thread becomes
    /// the one event loop, serving the receiver's and the listener's sockets, and every task of
    /// the extension runs on it (`EventLoopExecutor`): no hand-off between an I/O thread and
    /// Swift's pool at each request, and no threads started for either. Besides it, only the
    /// transport's thread runs (and Dispatch's while a request waits to retry: `Task.sleep`).
    /// - Parameters:
    ///   - name: the name to register under: the executable's file name, as Lambda expects.
    package static func runOnCurrentThread(environment: [String: String], name: String, logger: Logger) -> Never {
        MultiThreadedEventLoopGroup.withCurrentThreadAsEventLoop { eventLoop in
            Task(executorPreference: EventLoopExecutor(eventLoop)) {
                exit(await run(environment: environment, name: name, logger: logger, eventLoop: eventLoop))
            }
        }
        fatalError("the extension's event loop stopped before the extension exited")
    }

    /// - Returns: the process exit code.
    static func run(environment: [String: String], name: String, logger: Logger, eventLoop: any EventLoop) async -> Int32 {
        let configuration: Configuration
        do {
            configuration = try Configuration(environment: environment)
        } catch {
            logger.error("invalid configuration", metadata: ["variable": "\(error.variable)", "reason": "\(error.reason)"])
            guard let runtimeAPI = environment[Configuration.Variable.runtimeAPI], !runtimeAPI.isEmpty else { return 1 }
            return await reportInitError(runtimeAPI: runtimeAPI, name: name, type: error.lambdaErrorType, message: error.description, logger: logger)
        }
        for warning in configuration.warnings { logger.warning("\(warning)") }

        let tls: TLSConfiguration
        do {
            tls = try tlsConfiguration(configuration, environment: environment, logger: logger)
        } catch {
            logger.error("invalid TLS configuration", metadata: ["reason": "\(error)"])
            return await reportInitError(
                runtimeAPI: configuration.runtimeAPI, name: name, type: error.lambdaErrorType, message: error.description, logger: logger)
        }
        // Extensions API, Telemetry API and AWS calls need default TLS at most. One client (one
        // transport thread) serves APM Server too, unless its TLS differs: verification off, which
        // must not reach AWS, or a CA from ACM, known only after the call.
        let sharesClient = tls.verifyPeer && configuration.serverCAACMID == nil
        let http: HTTPClient
        do {
            http = try HTTPClient(tls: sharesClient ? tls : TLSConfiguration())
        } catch {
            logger.error("could not create the HTTP client", metadata: ["error": "\(error)"])
            return await reportInitError(
                runtimeAPI: configuration.runtimeAPI, name: name, type: "Extension.TLSConfigurationError", message: "\(error)",
                logger: logger)
        }
        return await run(
            configuration: configuration, environment: environment, name: name, http: http, tls: tls,
            sharesClient: sharesClient, logger: logger, eventLoop: eventLoop)
    }

    private static func run(
        configuration: Configuration, environment: [String: String], name: String, http: HTTPClient, tls: TLSConfiguration,
        sharesClient: Bool, logger: Logger, eventLoop: any EventLoop
    ) async -> Int32 {
        let api = ExtensionsAPIClient(runtimeAPI: configuration.runtimeAPI, http: http)
        // Registration waits for nothing: AWS calls (Secrets Manager, ACM), the forwarder and both
        // servers are made while it is on its way.
        let registrationStart = Deadline.now
        async let registering = api.register(
            name: name, events: configuration.isManagedInstances ? .shutdownOnly : .invokeAndShutdown,
            deadline: .after(Self.registrationTimeout))
        let started = await start(
            configuration: configuration, environment: environment, http: http, tls: tls, sharesClient: sharesClient, logger: logger,
            eventLoop: eventLoop)
        let registration: ExtensionsAPIClient.Registration
        do {
            registration = try await registering
        } catch {
            // Lambda fails the init of a function whose extension exits unregistered; say why on
            // the way out, where the platform may still listen (no identifier: there is none).
            logger.error("registration failed: exiting", metadata: ["error": "\(error)"])
            await api.reportInitError(
                identifier: nil, errorType: "Extension.RegistrationFailed", message: "\(error)",
                deadline: Deadline(monotonicMilliseconds: registrationStart.monotonicMilliseconds + Self.registrationFailureExitMilliseconds))
            if case .success(let components) = started { await components.stop() }
            return 1
        }
        let components: Components
        switch started {
        case .success(let value):
            components = value
        case .failure(let failure):
            await api.reportInitError(identifier: registration.identifier, errorType: failure.errorType, message: failure.message)
            return 1
        }
        let identifier = registration.identifier
        let overlapping = registration.events == .shutdownOnly
        if overlapping {
            components.overlap.set()
            await components.tracker.setConcurrentInvocations()
            logger.info(
                "registered for SHUTDOWN only: the platform sends extensions no INVOKE here (Lambda Managed Instances)",
                metadata: ["initialization.type": "\(configuration.initializationType ?? "")"])
            if configuration.sendStrategy == .syncFlush {
                logger.info(
                    "\(Configuration.Variable.sendStrategy)=syncflush does not apply here (invocations overlap and are never frozen): data ships as batches fill, age, and invocations end")
            }
        }
        let receiverPort = components.receiver.port
        logger.info("registered", metadata: ["extension.name": "\(name)", "receiver.port": "\(receiverPort)"])
        warnIfAgentBypassesExtension(configuration, receiverPort: receiverPort, logger: logger)
        if configuration.otelExporterPointsAtReceiver(port: receiverPort) {
            // Known before the first export: the first invocation waits for runtimeDone too.
            components.endSignal.otlpReceived()
        }

        var expectsTelemetry = false
        if let listener = components.listener {
            // Where the name does not resolve (outside Lambda) the URI names the listener's address,
            // except where the platform takes no other name (Managed Instances): it resolves it.
            let uriHost = components.listenerHostName ?? (overlapping ? "sandbox.localdomain" : "127.0.0.1")
            let outcome = await TelemetrySubscriber(runtimeAPI: configuration.runtimeAPI, http: http, logger: logger)
                .subscribe(
                    identifier: identifier, destination: "http://\(uriHost):\(listener.port)", functionLogs: configuration.captureLogs,
                    schemas: overlapping ? TelemetrySubscriber.managedInstancesSchemas + TelemetrySubscriber.schemas : TelemetrySubscriber.schemas)
            expectsTelemetry = outcome == .telemetry || outcome == .logs
            if expectsTelemetry { components.endSignal.expectRuntimeDone() }
        }
        let forwarder = components.forwarder
        var runLoop = RunLoop(
            identifier: identifier, api: api, forwarder: forwarder, tracker: components.tracker, endSignal: components.endSignal,
            strategy: configuration.sendStrategy, forwarderTimeout: configuration.forwarderTimeout,
            expectsTelemetry: expectsTelemetry, logger: logger)
        if configuration.isSnapStart {
            // Sends were held from the start (see `start`): a restored copy forgets every
            // connection first, then sends.
            let apmHTTP = components.apmHTTP
            runLoop.afterRestore = {
                http.dropConnections()
                if !sharesClient { apmHTTP.dropConnections() }
                logger.info("restored from a SnapStart snapshot: connections from before it dropped")
                await forwarder.releaseSends()
            }
        }
        let exitCode = await runLoop.run()
        await components.stop()
        return exitCode
    }

    /// What runs from registration to exit, besides the run loop.
    private struct Components {
        let apmHTTP: HTTPClient
        let forwarder: Forwarder
        let tracker: InvocationTracker
        let endSignal: InvocationEndSignal
        let overlap: InvocationsOverlap
        let receiver: HTTPServer
        let listener: HTTPServer?
        /// The name the listener's URI gives; nil: it does not resolve here.
        let listenerHostName: String?

        /// Nothing outlives the run: the servers close every connection and wait for their
        /// handlers, and the forwarder ends its sender and timer.
        func stop() async {
            await receiver.stop()
            await listener?.stop()
            await forwarder.stop()
        }
    }

    /// Why init failed after registration began, for `/init/error` once registered.
    private struct InitFailure: Error {
        let errorType: String
        let message: String
    }

    /// Everything that does not need the registration: the AWS calls (concurrent, each bounded by
    /// its timeout), the APM Server client, the forwarder, the receiver and the telemetry listener.
    /// Failures are logged here.
    private static func start(
        configuration: Configuration, environment: [String: String], http: HTTPClient, tls: TLSConfiguration, sharesClient: Bool,
        logger: Logger, eventLoop: any EventLoop
    ) async -> Result<Components, InitFailure> {
        let aws = await AWSInitResults.fetch(configuration: configuration, environment: environment, http: http)
        var apmTLS = tls
        switch aws.certificateAuthority {
        case .failure(let error):
            let arn = configuration.serverCAACMID ?? ""
            logger.error("could not fetch the APM Server CA from AWS Certificate Manager", metadata: ["acm.arn": "\(arn)", "reason": "\(error)"])
            return .failure(InitFailure(errorType: "Extension.ACMError", message: "GetCertificate \(arn): \(error)"))
        case .success(let pem):
            apmTLS.extraCAPEM = (apmTLS.extraCAPEM.map { $0 + "\n" } ?? "") + pem
        case nil:
            break
        }
        let apmHTTP: HTTPClient
        do {
            apmHTTP = sharesClient ? http : try HTTPClient(tls: apmTLS)
        } catch {
            logger.error("could not create the APM Server HTTP client", metadata: ["error": "\(error)"])
            return .failure(InitFailure(errorType: "Extension.TLSConfigurationError", message: "\(error)"))
        }
        let authorization: APMServerClient.Authorization?
        do {
            authorization = try aws.authorization(configuration: configuration, logger: logger)
        } catch {
            logger.error("unusable secret from AWS Secrets Manager", metadata: ["secret.id": "\(error.id)", "reason": "\(error)"])
            return .failure(InitFailure(errorType: error.lambdaErrorType, message: error.description))
        }
        let apmServer = APMServerClient(
            serverURL: configuration.apmServerURL, otlpURL: configuration.otlpEndpoint, authorization: authorization,
            userAgent: userAgent, http: apmHTTP)
        let forwarder: Forwarder
        do {
            forwarder = try Forwarder(
                client: apmServer, forwarderTimeout: configuration.forwarderTimeout,
                limits: Forwarder.Limits(agentDataBufferSize: configuration.agentDataBufferSize),
                synthesizedMetadata: SynthesizedMetadata.line(environment: environment, extensionVersion: version),
                logger: logger)
        } catch {
            logger.error("could not start compression", metadata: ["error": "\(error)"])
            return .failure(InitFailure(errorType: "Extension.CompressionFailed", message: "\(error)"))
        }
        if configuration.isSnapStart {
            // The snapshot is taken while this extension waits in /event/next: whatever it sent
            // before would leave pooled connections that are dead in every restored copy, so it
            // sends nothing until a copy runs.
            await forwarder.holdSends()
        }
        // Without INVOKE events (Managed Instances) invocations overlap and are never frozen: each
        // one's end (its agent's flush or its platform.report) ships what is buffered at once.
        // Registration alone says so (`overlap`, and the tracker, which sees no telemetry before
        // the subscription that follows it).
        let overlap = InvocationsOverlap()
        let tracker = InvocationTracker()
        let endSignal = InvocationEndSignal()
        let receiverEvents = AgentReceiver.Events(
            agentFlushed: {
                if overlap.isTrue { await forwarder.invocationEnded() } else { endSignal.agentFlushed() }
            },
            transactionRegistered: { requestID, transaction, _ in
                await tracker.transactionRegistered(requestID: requestID, transaction: transaction)
            },
            transactionsReported: { ids in await tracker.transactionsReported(ids) },
            otlpReceived: { endSignal.otlpReceived() })
        let receiver: HTTPServer
        do {
            receiver = try await AgentReceiver(
                forwarder: forwarder, apmServer: apmServer, forwarderTimeout: configuration.forwarderTimeout,
                events: receiverEvents, logger: logger
            ).serve(
                host: configuration.receiverHost, port: configuration.receiverPort,
                requestTimeout: configuration.receiverTimeout, group: eventLoop)
        } catch {
            logger.error("could not start the agent receiver", metadata: ["port": "\(configuration.receiverPort)", "error": "\(error)"])
            await forwarder.stop()
            return .failure(InitFailure(errorType: "Extension.ReceiverFailed", message: "\(error)"))
        }
        var listener: HTTPServer?
        var listenerHostName: String?
        if !configuration.disableTelemetry {
            let captureLogs = configuration.captureLogs
            let telemetryListener = TelemetryListener(logger: logger) { events in
                // The batch's data goes in before its runtimeDone ends the wait, so a syncflush
                // that follows ships it with the invocation.
                for line in await tracker.handle(events, captureLogs: captureLogs) {
                    await forwarder.addExtensionEvent(line)
                }
                for case .runtimeDone(let requestID, let status, _) in events {
                    endSignal.runtimeDone(requestID: requestID, status: status)
                }
                if overlap.isTrue, events.contains(where: \.isReport) { await forwarder.invocationEnded() }
            }
            let address = telemetryListenerAddress()
            do {
                listener = try await telemetryListener.serve(host: address.bind, group: eventLoop)
                listenerHostName = address.name
            } catch {
                logger.warning("could not start the telemetry listener: continuing without it", metadata: ["error": "\(error)"])
            }
        }
        return .success(
            Components(
                apmHTTP: apmHTTP, forwarder: forwarder, tracker: tracker, endSignal: endSignal, overlap: overlap, receiver: receiver,
                listener: listener, listenerHostName: listenerHostName))
    }

    // MARK: - Init helpers

    /// Whether invocations overlap (Lambda Managed Instances), known once registered. Nothing reads
    /// it earlier in Lambda, which starts the runtime (and so its agent) after its extensions
    /// have registered.
    private final class InvocationsOverlap: Sendable {
        private let value = Atomic<Bool>(false)
        var isTrue: Bool { value.load(ordering: .acquiring) }
        func set() { value.store(true, ordering: .releasing) }
    }

    private static func reportInitError(runtimeAPI: String, name: String, type: String, message: String, logger: Logger) async -> Int32 {
        // Lambda takes init errors from registered extensions: register, then report.
        if let http = try? HTTPClient() {
            let api = ExtensionsAPIClient(runtimeAPI: runtimeAPI, http: http)
            let identifier = try? await api.register(name: name, events: .invokeAndShutdown, deadline: .after(registrationTimeout)).identifier
            await api.reportInitError(identifier: identifier, errorType: type, message: message)
        }
        return 1
    }

    private static func tlsConfiguration(
        _ configuration: Configuration, environment: [String: String], logger: Logger
    ) throws(ConfigurationError) -> TLSConfiguration {
        var pem = configuration.serverCAPEM ?? ""
        if let path = configuration.serverCAFile {
            guard let contents = (try? FileContents.read(path, limit: 4 << 20)).map({ String(decoding: $0, as: UTF8.self) }) else {
                throw ConfigurationError(variable: Configuration.Variable.caCertFile, reason: "cannot read \(path)")
            }
            pem += "\n" + contents
        }
        // The system roots wherever this image keeps them (Amazon Linux: /etc/pki/tls/...), else the layer's own.
        let bundle = CABundle.locate(environment: environment)
        if let bundle {
            logger.debug("CA bundle", metadata: ["path": "\(bundle.path)", "source": "\(bundle.source.rawValue)"])
        } else if configuration.verifyServerCertificate {
            logger.warning("no CA bundle found: set SSL_CERT_FILE", metadata: ["searched": "\(CABundle.systemPaths)"])
        }
        return TLSConfiguration(
            verifyPeer: configuration.verifyServerCertificate,
            extraCAPEM: pem.containsText("-----BEGIN") ? pem : (pem.isEmpty ? nil : pem),
            caBundlePath: bundle?.path)
    }

    /// Where the telemetry listener binds, and the host its URI names: `sandbox.localdomain` in
    /// Lambda; where that name does not resolve (outside Lambda), 127.0.0.1 and no name yet.
    private static func telemetryListenerAddress() -> (bind: String, name: String?) {
        if let address = try? SocketAddress.makeAddressResolvingHost("sandbox.localdomain", port: 0), let ip = address.ipAddress {
            return (ip, "sandbox.localdomain")
        }
        return ("127.0.0.1", nil)
    }

    private static func warnIfAgentBypassesExtension(_ configuration: Configuration, receiverPort: Int, logger: Logger) {
        guard let agentURL = configuration.agentServerURL?.lowercased() else { return }
        let pointsHere = ["localhost:\(receiverPort)", "127.0.0.1:\(receiverPort)"].contains { agentURL.containsText($0) }
        if !pointsHere {
            logger.warning(
                "ELASTIC_APM_SERVER_URL does not point at the extension: the agent will bypass it and slow every invocation. Set ELASTIC_APM_SERVER_URL=http://localhost:\(receiverPort) and keep the APM Server URL in ELASTIC_APM_LAMBDA_APM_SERVER",
                metadata: ["ELASTIC_APM_SERVER_URL": "\(configuration.agentServerURL ?? "")"])
        }
    }
}
