import Foundation
import TestSupport
import Testing
@testable import Transport

/// The Secrets Manager and ACM clients against moto (the AWS emulator, in server mode).
@Suite("AWS clients against moto", .serialized)
struct AWSClientMotoTests {
    private func environment(_ moto: MotoServer) -> AWSEnvironment { AWSEnvironment(environment: moto.environment) }

    @Test("a SecretString, a SecretBinary, and a missing secret")
    func secrets() async throws {
        try await MotoServer.with { moto in
            try moto.createSecret(name: "apm/api-key", string: "key-from-string")
            try moto.createSecret(name: "apm/binary", binary: "token-from-binary")
            let everyByte: [UInt8] = Array(0...255).reversed()
            try moto.createSecret(name: "apm/every-byte", bytes: everyByte)
            let client = SecretsManagerClient(http: try HTTPClient(), environment: environment(moto))

            #expect(try await client.secretValue(id: "apm/api-key") == Array("key-from-string".utf8))
            #expect(try await client.secretValue(id: "apm/binary") == Array("token-from-binary".utf8))
            #expect(try await client.secretValue(id: "apm/every-byte") == everyByte, "SecretBinary comes back byte for byte")
            let error = try await #require(throws: AWSError.self) { try await client.secretValue(id: "apm/missing") }
            #expect(error.code == .service)
            #expect(error.status == 400 || error.status == 404)
            #expect(error.serviceErrorType == "ResourceNotFoundException")

            // What moto saw: SigV4 for secretsmanager in our region, with the session token.
            let requests = moto.requests.filter { $0.target == "secretsmanager.GetSecretValue" }
            #expect(requests.count == 4)
            for request in requests {
                #expect(SigV4Header(request.authorization)?.scope == "\(MotoServer.region)/secretsmanager/aws4_request")
                #expect(SigV4Header(request.authorization)?.accessKeyID == MotoServer.accessKeyID)
                #expect(request.securityToken == MotoServer.sessionToken)
            }
        }
    }

    @Test("an imported ACM certificate verifies a TLS server whose certificate chains to it")
    func certificateVerifiesTLSServer() async throws {
        let tls = try TLSFixture()
        try await MotoServer.with { moto in
            // The CA itself, imported: trusting it verifies any server certificate it issued.
            let caARN = try moto.importCertificate(certificatePath: tls.caPath, privateKeyPath: tls.caKeyPath)
            // A server certificate with its chain: both come back, certificate first.
            let serverARN = try moto.importCertificate(
                certificatePath: tls.certificatePath(), privateKeyPath: tls.privateKeyPath(), chainPath: tls.caPath)
            let acm = CertificateManagerClient(http: try HTTPClient(), environment: environment(moto))
            let caPEM = try await acm.certificate(arn: caARN)
            let chained = try await acm.certificate(arn: serverARN)
            // Certificate first, then its chain (moto adds its own root where none was imported).
            #expect(Self.firstCertificate(caPEM) == Self.firstCertificate(tls.caPEM))
            #expect(Self.firstCertificate(chained) == Self.firstCertificate(try String(contentsOfFile: tls.certificatePath(), encoding: .utf8)))
            #expect(chained.contains(Self.firstCertificate(tls.caPEM)))

            let missing = try await #require(throws: AWSError.self) {
                try await acm.certificate(arn: "arn:aws:acm:\(MotoServer.region):123456789012:certificate/00000000-0000-0000-0000-000000000000")
            }
            #expect(missing.code == .service)

            try await tls.withServer { port in
                for pem in [caPEM, chained] {
                    let client = try HTTPClient(tls: TLSConfiguration(extraCAPEM: pem))
                    #expect(try await client.execute(HTTPRequest(url: "https://127.0.0.1:\(port)/")).status == 200)
                }
                let untrusting = try HTTPClient()
                await #expect(throws: TransportError.self) { try await untrusting.execute(HTTPRequest(url: "https://127.0.0.1:\(port)/")) }
            }
            let requests = moto.requests.filter { $0.target == "CertificateManager.GetCertificate" }
            #expect(requests.count == 3)
            #expect(requests.allSatisfy { SigV4Header($0.authorization)?.scope == "\(MotoServer.region)/acm/aws4_request" })
        }
    }

    private static func firstCertificate(_ pem: String) -> String {
        let end = "-----END CERTIFICATE-----"
        guard let start = pem.range(of: "-----BEGIN CERTIFICATE-----"), let stop = pem.range(of: end, range: start.upperBound..<pem.endIndex) else {
            return ""
        }
        return String(pem[start.lowerBound..<stop.upperBound])
    }
}

/// The wire format, seen by a plain HTTP server standing in for AWS.
@Suite("AWS clients on the wire")
struct AWSClientWireTests {
    static let credentials = AWSCredentials(accessKeyID: "AKIDWIRE", secretAccessKey: "wire-secret", sessionToken: "wire-token")

    static func environment(port: Int, service: AWSService) -> AWSEnvironment {
        AWSEnvironment(
            credentials: credentials, region: "ap-southeast-2",
            serviceEndpointURLs: [service.endpointVariable: "http://127.0.0.1:\(port)/"])
    }

    @Test func getSecretValueRequest() async throws {
        try await TestHTTPServer.with(behaviour: { _, _ in
            .respond(status: 200, body: Array(#"{"Name":"n","SecretBinary":"c2VjcmV0IGJ5dGVz"}"#.utf8))
        }) { server in
            let client = SecretsManagerClient(http: try HTTPClient(), environment: Self.environment(port: server.port, service: .secretsManager))
            #expect(try await client.secretValue(id: "my/secret") == Array("secret bytes".utf8))
            let request = try #require(server.requests.first)
            #expect(request.method == "POST")
            #expect(request.uri == "/")
            #expect(request.header("X-Amz-Target") == "secretsmanager.GetSecretValue")
            #expect(request.header("Content-Type") == "application/x-amz-json-1.1")
            #expect(request.header("X-Amz-Security-Token") == "wire-token")
            #expect(request.header("X-Amz-Date") != nil)
            let body = try #require(JSONSerialization.jsonObject(with: Data(request.body)) as? [String: String])
            #expect(body == ["SecretId": "my/secret", "VersionStage": "AWSCURRENT"])
            let authorization = try #require(SigV4Header(request.header("Authorization") ?? ""))
            #expect(authorization.accessKeyID == "AKIDWIRE")
            #expect(authorization.scope == "ap-southeast-2/secretsmanager/aws4_request")
            #expect(authorization.signedHeaders.contains("host"))
            #expect(authorization.signedHeaders.contains("x-amz-date"))
            #expect(authorization.signedHeaders.contains("x-amz-target"))
            #expect(authorization.signature.count == 64)
        }
    }

    @Test func getCertificateRequest() async throws {
        let pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"
        try await TestHTTPServer.with(behaviour: { _, _ in
            .respond(status: 200, body: Array(#"{"Certificate":"\#(pem.replacingOccurrences(of: "\n", with: "\\n"))","CertificateChain":"\#(pem.replacingOccurrences(of: "\n", with: "\\n"))"}"#.utf8))
        }) { server in
            let client = CertificateManagerClient(
                http: try HTTPClient(), environment: Self.environment(port: server.port, service: .certificateManager))
            #expect(try await client.certificate(arn: "arn:aws:acm:x") == pem + "\n" + pem + "\n")
            let request = try #require(server.requests.first)
            #expect(request.header("X-Amz-Target") == "CertificateManager.GetCertificate")
            let body = try #require(JSONSerialization.jsonObject(with: Data(request.body)) as? [String: String])
            #expect(body == ["CertificateArn": "arn:aws:acm:x"])
            #expect(SigV4Header(request.header("Authorization") ?? "")?.scope == "ap-southeast-2/acm/aws4_request")
        }
    }

    @Test func serviceErrorsNameTheTypeAndNeverTheBody() async throws {
        try await TestHTTPServer.with(behaviour: { _, _ in
            .respond(status: 400, body: Array(#"{"__type":"com.amazonaws.secretsmanager#AccessDeniedException","Message":"not allowed"}"#.utf8))
        }) { server in
            let client = SecretsManagerClient(http: try HTTPClient(), environment: Self.environment(port: server.port, service: .secretsManager))
            let error = try await #require(throws: AWSError.self) { try await client.secretValue(id: "x") }
            #expect(error.code == .service)
            #expect(error.serviceErrorType == "AccessDeniedException")
            #expect(error.description.contains("not allowed"))
        }
    }

    @Test func aHangingEndpointTimesOutInBoundedTime() async throws {
        try await TestHTTPServer.with(behaviour: { _, _ in .hang }) { server in
            let client = SecretsManagerClient(
                http: try HTTPClient(), environment: Self.environment(port: server.port, service: .secretsManager),
                timeout: .milliseconds(500))
            let error = try await #require(throws: AWSError.self) { try await client.secretValue(id: "x") }
            #expect(error.code == .timeout)
        }
    }

    @Test func missingCredentialsOrRegionFailBeforeAnyRequest() async throws {
        let http = try HTTPClient()
        let noCredentials = SecretsManagerClient(http: http, environment: AWSEnvironment(environment: ["AWS_REGION": "us-east-1"]))
        #expect(try await #require(throws: AWSError.self) { try await noCredentials.secretValue(id: "x") }.code == .missingCredentials)
        let noRegion = CertificateManagerClient(
            http: http, environment: AWSEnvironment(environment: ["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"]))
        #expect(try await #require(throws: AWSError.self) { try await noRegion.certificate(arn: "x") }.code == .missingRegion)
    }
}

@Suite("AWS environment and base64")
struct AWSEnvironmentTests {
    @Test func endpointResolution() {
        let base = ["AWS_REGION": "eu-central-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"]
        let plain = AWSEnvironment(environment: base)
        #expect(plain.endpoint(for: .secretsManager) == "https://secretsmanager.eu-central-1.amazonaws.com")
        #expect(plain.endpoint(for: .certificateManager) == "https://acm.eu-central-1.amazonaws.com")
        #expect(plain.credentials?.sessionToken == nil)

        let general = AWSEnvironment(environment: base.merging(["AWS_ENDPOINT_URL": "http://localhost:4566/"]) { $1 })
        #expect(general.endpoint(for: .secretsManager) == "http://localhost:4566")
        #expect(general.endpoint(for: .certificateManager) == "http://localhost:4566")

        let specific = AWSEnvironment(environment: base.merging([
            "AWS_ENDPOINT_URL": "http://localhost:4566", "AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://sm:1",
            "AWS_ENDPOINT_URL_ACM": "http://acm:2",
        ]) { $1 })
        #expect(specific.endpoint(for: .secretsManager) == "http://sm:1")
        #expect(specific.endpoint(for: .certificateManager) == "http://acm:2")

        let fallbackRegion = AWSEnvironment(environment: ["AWS_DEFAULT_REGION": "us-west-1"])
        #expect(fallbackRegion.region == "us-west-1")
        #expect(fallbackRegion.credentials == nil)
        #expect(AWSEnvironment(environment: [:]).endpoint(for: .secretsManager) == nil)
    }

    @Test(arguments: [
        ("", ""), ("Zg==", "f"), ("Zm8=", "fo"), ("Zm9v", "foo"), ("Zm9vYg==", "foob"), ("Zm9vYmE=", "fooba"),
        ("Zm9vYmFy", "foobar"), ("Zm9v\nYmFy", "foobar"), ("Zm9vYg", "foob"),
    ])
    func base64Decodes(encoded: String, decoded: String) {
        #expect(Base64.decode(encoded) == Array(decoded.utf8))
    }

    @Test(arguments: ["Zm9v!", "Z", "Zg==Zg==", "Zg==="])
    func base64RejectsNonBase64(text: String) {
        #expect(Base64.decode(text) == nil)
    }

    @Test func binaryBytesRoundTrip() {
        let bytes: [UInt8] = Array(0...255)
        let encoded = Data(bytes).base64EncodedString()
        #expect(Base64.decode(encoded) == bytes)
    }
}
