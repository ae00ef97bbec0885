#!/usr/bin/env python3
"""The AWS emulator of the tests: moto in server mode on a free loopback port, plus seeding.

  moto_fixture.py serve REQUEST_LOG
      Serves moto on 127.0.0.1:<free port>, prints the port on one line once it listens, appends
      one JSON line per request (target, authorization header) to REQUEST_LOG, and exits when its
      stdin closes.
  moto_fixture.py secret-string ENDPOINT NAME VALUE
  moto_fixture.py secret-binary ENDPOINT NAME VALUE      (VALUE's UTF-8 bytes, stored as binary)
  moto_fixture.py secret-binary-hex ENDPOINT NAME HEX    (any bytes, given in hex, stored as binary)
  moto_fixture.py import-certificate ENDPOINT CERT_PEM KEY_PEM CHAIN_PEM
      Seeds through boto3 (region: $FIXTURE_REGION, default us-east-1) and prints the secret's ARN or the certificate's ARN.
"""
import json
import os
import sys
import threading


def serve(log_path):
    from moto.server import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request on stderr
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def recording(environ, start_response):
        entry = {
            "target": environ.get("HTTP_X_AMZ_TARGET", ""),
            "authorization": environ.get("HTTP_AUTHORIZATION", ""),
            "securityToken": environ.get("HTTP_X_AMZ_SECURITY_TOKEN", ""),
            "path": environ.get("PATH_INFO", ""),
        }
        with lock, open(log_path, "a") as log:
            log.write(json.dumps(entry) + "\n")
        return app(environ, start_response)

    server = make_server("127.0.0.1", 0, recording, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.port, flush=True)
    sys.stdin.read()  # until the test closes our stdin
    server.shutdown()


def client(service, endpoint):
    import boto3

    return boto3.client(
        service, endpoint_url=endpoint, region_name=os.environ.get("FIXTURE_REGION", "us-east-1"),
        aws_access_key_id="testing", aws_secret_access_key="testing")


def main(argv):
    command = argv[1]
    if command == "serve":
        serve(argv[2])
    elif command == "secret-string":
        print(client("secretsmanager", argv[2]).create_secret(Name=argv[3], SecretString=argv[4])["ARN"])
    elif command == "secret-binary":
        print(client("secretsmanager", argv[2]).create_secret(Name=argv[3], SecretBinary=argv[4].encode())["ARN"])
    elif command == "secret-binary-hex":
        print(client("secretsmanager", argv[2]).create_secret(Name=argv[3], SecretBinary=bytes.fromhex(argv[4]))["ARN"])
    elif command == "import-certificate":
        def read(path):
            with open(path, "rb") as f:
                return f.read()
        arguments = {"Certificate": read(argv[3]), "PrivateKey": read(argv[4])}
        if len(argv) > 5 and argv[5]:
            arguments["CertificateChain"] = read(argv[5])
        print(client("acm", argv[2]).import_certificate(**arguments)["CertificateArn"])
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv)
